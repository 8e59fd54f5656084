import {spawnSync} from 'node:child_process'

/** One comparison: a subject measured beside its baseline in the same run. */
export interface BenchReport {
  name: string
  baseline: {label: string; ms: number}
  subject: {label: string; ms: number}
  /** subject / baseline (lower is better), unless `higherIsBetter`. */
  ratio: number
  /** What the issue asks, e.g. "<= 4x" or ">= 10x faster". */
  target: string
  pass: boolean
}

/** Median wall time of `runs` calls of `fn` after `warmup` unmeasured calls. */
export async function medianMs(fn: () => unknown | Promise<unknown>, runs = 7, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    await fn()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }

  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

/**
 * Interleaves the baseline and the subject run by run, so that machine noise falls on both
 * alike, and returns both medians.
 */
export async function compare(
  baseline: () => unknown,
  subject: () => unknown,
  runs = 9,
): Promise<{baselineMs: number; subjectMs: number}> {
  await baseline()
  await subject()
  const a: number[] = []
  const b: number[] = []
  for (let i = 0; i < runs; i++) {
    a.push(await timeOnce(baseline))
    b.push(await timeOnce(subject))
  }

  return {baselineMs: median(a), subjectMs: median(b)}
}

async function timeOnce(fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.floor(sorted.length / 2)]
}

/** Runs a command to completion, failing loudly when it does not exit with `expectCode`. */
export function runCommand(
  argv: string[],
  options: {env?: NodeJS.ProcessEnv; expectCode?: number; input?: string} = {},
): void {
  const result = spawnSync(argv[0], argv.slice(1), {
    env: options.env ?? process.env,
    input: options.input,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const expected = options.expectCode ?? 0
  if (result.status !== expected) {
    throw new Error(
      `${argv.join(' ')} exited ${result.status}, expected ${expected}: ${result.stderr?.toString().trim()}`,
    )
  }
}

/** Builds a report with the ratio and verdict. */
export function report(
  name: string,
  baseline: BenchReport['baseline'],
  subject: BenchReport['subject'],
  target: string,
  pass: (ratio: number) => boolean,
): BenchReport {
  const ratio = subject.ms / baseline.ms
  return {baseline, name, pass: pass(ratio), ratio, subject, target}
}
