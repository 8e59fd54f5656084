import {spawn} from 'node:child_process'
import {constants} from 'node:os'

import {ExitCode, HyopsError} from '../errors.js'

/** How a child ended: its exit code, or the signal that killed it. */
export type ChildEnd = {code: number; signal?: undefined} | {code?: undefined; signal: NodeJS.Signals}

/** Signals passed on to the child. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']

/**
 * Runs `argv` with `environment`, stdin, stdout and stderr inherited, and waits for it to end.
 * SIGTERM, SIGHUP and SIGQUIT sent to hyops are passed to the child; so is SIGINT, unless
 * stdin is a terminal: there the Ctrl-C already reached the child (same process group), and
 * a second interrupt would make tools such as Terraform abandon their graceful stop.
 * A command that cannot be started is exit 127 (not found) or 126 (not executable), as in a shell.
 */
export async function runChild(argv: readonly string[], environment: NodeJS.ProcessEnv): Promise<ChildEnd> {
  const [command, ...args] = argv
  const child = spawn(command, args, {env: environment, stdio: 'inherit'})
  const terminal = Boolean(process.stdin.isTTY)
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      if (!(signal === 'SIGINT' && terminal)) child.kill(signal)
    }

    process.on(signal, handler)
    return () => process.off(signal, handler)
  })
  try {
    return await new Promise<ChildEnd>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => reject(startError(command, error)))
      child.once('exit', (code, signal) => resolve(signal ? {signal} : {code: code ?? 1}))
    })
  } finally {
    for (const off of handlers) off()
  }
}

/** A command that could not be started; `oclif.exit` carries a shell's exit code (127, 126). */
export class ChildStartError extends Error {
  readonly oclif: {exit: number}

  constructor(message: string, exit: number) {
    super(message)
    this.name = 'ChildStartError'
    this.oclif = {exit}
  }
}

function startError(command: string, error: NodeJS.ErrnoException): Error {
  if (error.code === 'ENOENT') return new ChildStartError(`${command}: command not found (check it and PATH)`, 127)
  if (error.code === 'EACCES') return new ChildStartError(`${command}: permission denied`, 126)
  return new HyopsError(ExitCode.Failure, `cannot run ${command}: ${error.message}`)
}

/**
 * Ends hyops the way the child ended: its exit code, or the same signal (re-raised on hyops
 * itself, so the caller sees a process killed by it; 128 + its number if that does not end it).
 */
export function endLikeChild(end: ChildEnd): void {
  if (end.signal === undefined) {
    process.exitCode = end.code
    return
  }

  const number = constants.signals[end.signal] ?? 0
  process.exitCode = 128 + number
  process.removeAllListeners(end.signal)
  process.kill(process.pid, end.signal)
}
