import {constants} from 'node:os'

/** The signals a run finishes cleanly on (SIGKILL cannot be caught: the write-ahead marker covers it). */
export const TRAPPED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
export type TrappedSignal = (typeof TRAPPED_SIGNALS)[number]

/** The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP). */
export function signalExitCode(signal: TrappedSignal): number {
  return 128 + constants.signals[signal]
}

/**
 * What a run must finish before it may stop on a signal: the writes that put a secret on disk (`critical`),
 * then the handlers that leave the marker truthful (`onInterrupt`). `kept` lines say what is where.
 */
export class RunGuard {
  private readonly pending = new Set<Promise<unknown>>()
  private readonly handlers: Array<(signal: TrappedSignal) => Promise<void>> = []
  private readonly lines: string[] = []
  private readonly stoppers: Array<() => void> = []
  /** The signal being handled, once one came. */
  signal?: TrappedSignal

  /** A write a signal must not cut short: the signal waits for it. */
  critical<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work)
    const done = () => this.pending.delete(work)
    work.then(done, done)
    return work
  }

  /** Runs first on a signal: stops work that could make more to keep (closes the remote command). */
  onStop(stop: () => void): () => void {
    this.stoppers.push(stop)
    return () => {
      const at = this.stoppers.indexOf(stop)
      if (at !== -1) this.stoppers.splice(at, 1)
    }
  }

  /** Runs on a signal, after every critical write has settled. */
  onInterrupt(handler: (signal: TrappedSignal) => Promise<void>): void {
    this.handlers.push(handler)
  }

  /** One thing kept, for the line printed on a signal ("the new secret of X is in the vault V"). */
  keep(line: string): void {
    if (!this.lines.includes(line)) this.lines.push(line)
  }

  /** Settles the critical writes, runs the handlers, and returns what was kept where, in one line. */
  async interrupted(signal: TrappedSignal): Promise<string> {
    this.signal = signal
    for (const stop of this.stoppers) stop()
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
    for (const handler of this.handlers) await handler(signal).catch(() => {})
    return this.lines.length > 0 ? this.lines.join('; ') : 'no secret had been made, nothing needed keeping'
  }
}

let handling: TrappedSignal | undefined

/** The signal this process is stopping on, if any: the error of work it cut short is not printed. */
export function stoppingOn(): TrappedSignal | undefined {
  return handling
}

/**
 * Calls `onSignal` once on the first of SIGINT, SIGTERM or SIGHUP (later ones are ignored while it runs).
 * Returns the function that removes the handlers.
 */
export function trapSignals(onSignal: (signal: TrappedSignal) => Promise<void>): () => void {
  let fired = false
  const handler = (signal: TrappedSignal) => {
    if (fired) return
    fired = true
    handling = signal
    void onSignal(signal)
  }

  for (const signal of TRAPPED_SIGNALS) process.on(signal, handler)
  return () => {
    for (const signal of TRAPPED_SIGNALS) process.off(signal, handler)
  }
}

// The asynchronous work that runs on libuv's thread pool. process.exit() joins that pool, so one such
// request that never completes (a read of a FIFO no one writes, a lookup of a dead DNS server) would make
// the exit itself wait forever.
const POOL_WORK = new Set([
  'FSReqCallback',
  'FSReqPromise',
  'FileHandleCloseReq',
  'GetAddrInfoReqWrap',
  'GetNameInfoReqWrap',
])

/**
 * Ends the process on `signal` with 128+signal. Thread-pool work still pending after a short wait is stuck
 * (nothing of hyops's own should be by now): then the signal is raised again with its default action, so
 * the kernel ends the process at once, and the shell reports the same 128+signal.
 */
export async function exitOnSignal(signal: TrappedSignal): Promise<never> {
  const deadline = Date.now() + POOL_DRAIN_MS
  while (poolBusy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  if (poolBusy()) {
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  }

  process.exit(signalExitCode(signal))
}

const POOL_DRAIN_MS = 300

function poolBusy(): boolean {
  return process.getActiveResourcesInfo().some((resource) => POOL_WORK.has(resource))
}

/**
 * `work`, or `undefined` once `ms` have passed: what a signal waits for is bounded, so a step that can
 * never finish (a write into a stuck file system) cannot keep the run alive after the operator stopped it.
 */
export async function withinGrace<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** How long the steps after a signal (secret writes, the marker, evidence, the lock) may take in all. */
export const SIGNAL_GRACE_MS = 10_000
