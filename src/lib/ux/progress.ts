import {claimScreen, writeLines, type ScreenActivity} from './screen.js'
import {fancyOutput, printable} from './terminal.js'
import {messageFor, outputWidth, wrapText} from './wrap.js'

/**
 * How progress is shown: `fancy` (a spinner with elapsed time, then ✔/✖ and the duration),
 * `plain` (one `[hyops] <label> ... ok (0.4s)` line per step) or `silent` (nothing).
 */
export type ProgressMode = 'fancy' | 'plain' | 'silent'

/** A stream progress can draw on: a real stderr, or any writable that says whether it is a TTY. */
export type ProgressStream = NodeJS.WritableStream & {isTTY?: boolean; columns?: number}

export interface ProgressOptions {
  /** Where progress goes; process.stderr by default (never stdout, which holds results). */
  stream?: ProgressStream
  /** `--json` was given: progress is silent (see `progressMode`). */
  json?: boolean
  /** Forces a mode instead of choosing one from the stream and the environment. */
  mode?: ProgressMode
  /** For NO_COLOR and TERM; process.env by default. */
  environment?: NodeJS.ProcessEnv
  /** Spinner frame interval in milliseconds (80 by default). */
  intervalMs?: number
}

/** One finished step, for callers that want to report timings. */
export interface ProgressStepRecord {
  label: string
  ok: boolean
  durationMs: number
}

/**
 * Chooses the mode. With `--json` progress is silent: a program reads the run's result,
 * programs often capture stderr with stdout (`2>&1`), oclif itself mutes its stderr logging
 * under `--json`, and every step with its duration is in the evidence anyway. Otherwise a
 * spinner on a TTY without NO_COLOR (or TERM=dumb), plain lines everywhere else.
 */
export function progressMode(
  stream: ProgressStream,
  json = false,
  environment: NodeJS.ProcessEnv = process.env,
): ProgressMode {
  if (json) return 'silent'
  return fancyOutput(stream as NodeJS.WriteStream, environment) ? 'fancy' : 'plain'
}

/** `0.4s` below ten seconds, `12s` below a minute, `2m05s` above. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds}s`
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const CLEAR_LINE = '\r\u001B[2K'
const GREEN = (text: string) => `\u001B[32m${text}\u001B[39m`
const RED = (text: string) => `\u001B[31m${text}\u001B[39m`
const DIM = (text: string) => `\u001B[2m${text}\u001B[22m`

/**
 * Progress of a command's steps on stderr. It prints only the labels it is given (and
 * durations), never results or errors, so it cannot leak a secret as long as labels hold
 * none: use fixed words and host names, never values from the vault.
 *
 * Prompts shown while a step runs (`src/lib/ux/prompts.ts`) suspend the spinner, and
 * `note()` prints a line without tearing it.
 */
export class Progress {
  readonly mode: ProgressMode
  private readonly stream: ProgressStream
  private readonly intervalMs: number
  private readonly records: ProgressStepRecord[] = []

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr
    this.mode = options.mode ?? progressMode(this.stream, options.json, options.environment)
    this.intervalMs = options.intervalMs ?? 80
  }

  /** Every step finished so far, in order. */
  get steps(): readonly ProgressStepRecord[] {
    return this.records
  }

  /**
   * Runs one step, showing its label while it runs and its outcome and duration after; returns or rethrows what
   * `run` does.
   */
  async step<T>(label: string, run: () => Promise<T>): Promise<T> {
    const shown = printable(label)
    const started = Date.now()
    const view =
      this.mode === 'fancy'
        ? new SpinnerLine(this.stream, shown, started, this.intervalMs)
        : this.mode === 'plain'
          ? new PlainLine(this.stream, shown)
          : undefined
    const release = view ? claimScreen(view) : () => {}
    view?.restore()
    let ok = false
    try {
      const result = await run()
      ok = true
      return result
    } finally {
      const durationMs = Date.now() - started
      this.records.push({durationMs, label, ok})
      view?.finish(ok, durationMs)
      release()
    }
  }

  /**
   * Prints a line of information between (or during) steps, wrapped to the terminal's width
   * (the lines after the first indented), one line when piped; nothing in silent mode.
   */
  note(message: string): void {
    if (this.mode === 'silent') return
    writeLines(this.stream, messageFor(this.stream, printable(message)))
  }
}

interface StepView extends ScreenActivity {
  finish(ok: boolean, durationMs: number): void
}

/** A spinner frame, the label and the elapsed time, redrawn in place. */
class SpinnerLine implements StepView {
  private frame = 0
  private timer?: NodeJS.Timeout

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly started: number,
    private readonly intervalMs: number,
  ) {}

  restore(): void {
    this.draw()
    if (this.timer) return
    this.timer = setInterval(() => this.draw(), this.intervalMs)
    // An animation must never keep the process alive.
    this.timer.unref()
  }

  suspend(): void {
    this.stop()
    this.stream.write(CLEAR_LINE)
  }

  finish(ok: boolean, durationMs: number): void {
    this.stop()
    const mark = ok ? GREEN('✔') : RED('✖')
    // The finished line is not redrawn, so it may take several lines: the label is wrapped, not cut.
    const duration = `(${formatDuration(durationMs)})`
    const lines = wrapText(`${this.label} ${duration}`, outputWidth(this.stream), '  ')
    const text = lines.join('\n').slice(2, -duration.length) + DIM(duration)
    this.stream.write(`${CLEAR_LINE}${mark} ${text}\n`)
  }

  private draw(): void {
    const frame = FRAMES[this.frame++ % FRAMES.length]
    this.stream.write(
      `${CLEAR_LINE}${frame} ${this.fit(this.label, 12)} ${DIM(formatDuration(Date.now() - this.started))}`,
    )
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  /** A line that wraps cannot be redrawn in place, so while it spins a long label is cut to the terminal width. */
  private fit(text: string, reserve: number): string {
    const room = outputWidth(this.stream) - reserve
    return text.length <= room ? text : text.slice(0, Math.max(1, room - 1)) + '…'
  }
}

/** The widest outcome a plain line ends with: ` failed (59m59s)`. */
const OUTCOME_ROOM = 16

/** `[hyops] <label> ...` when the step starts, ` ok (0.4s)` on the same line when it ends. */
class PlainLine implements StepView {
  private open = false
  private started = false

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
  ) {}

  restore(): void {
    if (this.started) return
    this.started = true
    this.open = true
    this.stream.write(this.heading())
  }

  suspend(): void {
    if (!this.open) return
    this.open = false
    this.stream.write('\n')
  }

  finish(ok: boolean, durationMs: number): void {
    const outcome = `${ok ? 'ok' : 'failed'} (${formatDuration(durationMs)})\n`
    // Something was printed inside the step: repeat the label so the outcome line stands alone.
    this.stream.write(this.open ? ` ${outcome}` : `${this.heading()} ${outcome}`)
    this.open = false
  }

  /** `[hyops] <label> ...`, at a terminal wrapped so that the outcome still fits on its last line. */
  private heading(): string {
    if (!this.stream.isTTY) return `[hyops] ${this.label} ...`
    return wrapText(`${this.label} ...`, outputWidth(this.stream) - OUTCOME_ROOM, '[hyops] ', '        ').join('\n')
  }
}
