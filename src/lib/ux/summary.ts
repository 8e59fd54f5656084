import {layoutColumns} from './columns.js'
import {fancyOutput, printable} from './terminal.js'
import {STABLE_WIDTH, wrapText} from './wrap.js'

/** One line of the summary: what, its value, and where the value came from. */
export interface SummaryRow {
  label: string
  /** Shown as `-` when undefined. Never a secret: the summary is printed as is. */
  value: string | number | boolean | undefined
  /** `detected`, `fallback`, `config`, `flag`, `reused`, `created`, ... */
  source?: string
}

/** A file the run wrote (or would write with `--dry-run`). */
export interface SummaryPath {
  label: string
  path: string
}

/** The end-of-run summary of a command. */
export interface Summary {
  /** A first line such as `Proxmox is ready for automation.` */
  title?: string
  rows: SummaryRow[]
  paths?: SummaryPath[]
  /** The heading above the paths; `Files written:` by default. */
  pathsTitle?: string
  /**
   * What will break later though the run succeeded: printed once, in a `Warnings:` block
   * after the rows, each with its fix.
   */
  warnings?: SummaryWarning[]
}

/** A warning of the summary, and how to fix it. */
export interface SummaryWarning {
  message: string
  fix?: string
}

export interface SummaryRenderOptions {
  /** ANSI colour (bold title, coloured sources); off by default. See `summaryColor`. */
  color?: boolean
  /** The widest a line may be (see `outputWidth`); `STABLE_WIDTH` by default. */
  width?: number
}

/** Whether a summary printed on `stream` may be coloured: a TTY, no NO_COLOR, not TERM=dumb. */
export function summaryColor(
  stream: NodeJS.WriteStream = process.stdout,
  environment: NodeJS.ProcessEnv = process.env,
): boolean {
  return fancyOutput(stream, environment)
}

const BOLD = (text: string) => `\u001B[1m${text}\u001B[22m`
const GREEN = (text: string) => `\u001B[32m${text}\u001B[39m`
const YELLOW = (text: string) => `\u001B[33m${text}\u001B[39m`
const DIM = (text: string) => `\u001B[2m${text}\u001B[22m`

/**
 * The summary as plain text, no line wider than `options.width`: the rows in aligned
 * columns (label, value, source; see `layoutColumns`), the warnings, then the paths written,
 * ending with a newline. Values are wrapped, never cut. Values from a remote host are made
 * printable, so a hostile answer cannot move the cursor. Colour only when `options.color` is true.
 */
export function renderSummary(summary: Summary, options: SummaryRenderOptions = {}): string {
  const color = options.color ?? false
  const width = options.width ?? STABLE_WIDTH
  const heading = (text: string) => (color ? BOLD(text) : text)
  const lines: string[] = []
  if (summary.title) lines.push(...wrapText(printable(summary.title), width).map(heading), '')

  const rows = summary.rows.map((row) => ({
    label: printable(row.label),
    source: row.source === undefined ? undefined : printable(row.source),
    value: row.value === undefined || row.value === '' ? '-' : printable(String(row.value)),
  }))
  lines.push(...layoutColumns(rows, {paint: color ? paintSource : undefined, width}))

  const warnings = summary.warnings ?? []
  if (warnings.length > 0) {
    if (lines.length > 0) lines.push('')
    lines.push(heading(warnings.length === 1 ? 'Warning:' : 'Warnings:'))
    for (const warning of warnings) {
      lines.push(...wrapText(printable(warning.message), width, '  - ', '    '))
      if (warning.fix) lines.push(...wrapText(printable(warning.fix), width, '    fix: ', '      '))
    }
  }

  const paths = (summary.paths ?? []).map((entry) => ({label: printable(entry.label), value: printable(entry.path)}))
  if (paths.length > 0) {
    if (lines.length > 0) lines.push('')
    lines.push(heading(summary.pathsTitle ?? 'Files written:'), ...layoutColumns(paths, {width}))
  }

  return lines.join('\n') + '\n'
}

function paintSource(piece: string, source: string): string {
  if (source === 'detected') return GREEN(piece)
  if (source === 'fallback') return YELLOW(piece)
  return DIM(piece)
}
