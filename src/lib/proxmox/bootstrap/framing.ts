// The bootstrap's wire protocol: the per-run frame, `EXPORT:<frame>:NAME=VALUE` lines, and a bounded line reader.
import {randomBytes} from 'node:crypto'

/** Bounds on what the host may print: a real bootstrap prints a few KB (the CA is the longest line). */
export const OUTPUT_LIMITS = {lineBytes: 256 * 1024, totalBytes: 16 * 1024 * 1024}
const NAME = /^[A-Z][A-Z0-9_]*$/

/** A fresh per-run tag: only lines carrying it are the script's values. */
export function newFrame(): string {
  return randomBytes(16).toString('hex')
}

/** The value of one framed line `EXPORT:<frame>:NAME=VALUE`, or undefined for any other line. */
export function parseFramedLine(raw: string, frame: string): [string, string] | undefined {
  const line = raw.replace(/\r$/, '')
  const prefix = `EXPORT:${frame}:`
  if (!line.startsWith(prefix)) return undefined
  const rest = line.slice(prefix.length)
  const eq = rest.indexOf('=')
  if (eq <= 0 || !NAME.test(rest.slice(0, eq))) return undefined
  return [rest.slice(0, eq), rest.slice(eq + 1)]
}

/** The framed `EXPORT:<frame>:NAME=VALUE` lines of the script's stdout (a later line wins); others are ignored. */
export function parseExports(stdout: string, frame: string): Record<string, string> {
  const exports: Record<string, string> = {}
  for (const raw of stdout.split('\n')) {
    const found = parseFramedLine(raw, frame)
    if (found) exports[found[0]] = found[1]
  }

  return exports
}

/**
 * Splits a byte stream into lines as it arrives, within bounds: `onLine` gets each whole line; past the
 * line or total bound, `onOverflow` is called once and the rest is dropped.
 */
export class LineReader {
  private partial: Buffer[] = []
  private partialBytes = 0
  private total = 0
  /** Dropping the rest of a line that passed the line bound. */
  private skipping = false
  overflow?: 'line' | 'total'

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
    private readonly limits = OUTPUT_LIMITS,
  ) {}

  /**
   * Past a bound the output is refused (`onOverflow`, once), but lines that still arrive are read, one at a
   * time within the line bound, so that a secret the host prints while it is being stopped is not lost.
   */
  push(chunk: Buffer): void {
    this.total += chunk.length
    if (this.total > this.limits.totalBytes) this.stop('total')
    let start = 0
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.take(chunk.subarray(start, nl))
      if (!this.skipping) this.onLine(Buffer.concat(this.partial).toString('utf8'))
      this.partial = []
      this.partialBytes = 0
      this.skipping = false
      start = nl + 1
    }

    if (start < chunk.length) this.take(chunk.subarray(start))
  }

  /** The last line when the output did not end with a newline. */
  end(): void {
    if (!this.skipping && this.partialBytes > 0) this.onLine(Buffer.concat(this.partial).toString('utf8'))
    this.partial = []
    this.partialBytes = 0
  }

  private take(part: Buffer): void {
    if (this.skipping) return
    this.partial.push(part)
    this.partialBytes += part.length
    if (this.partialBytes <= this.limits.lineBytes) return
    this.partial = []
    this.partialBytes = 0
    this.skipping = true
    this.stop('line')
  }

  private stop(why: 'line' | 'total'): void {
    if (this.overflow) return
    this.overflow = why
    this.onOverflow()
  }
}
