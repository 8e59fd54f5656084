import {fancyOutput, printable} from './terminal.js'

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
}

export interface SummaryRenderOptions {
  /** ANSI colour (bold title, coloured sources); off by default. See `summaryColor`. */
  color?: boolean
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
 * The summary as plain text in aligned columns (label, value, source), then the paths
 * written, ending with a newline. Values from a remote host are made printable, so a
 * hostile answer cannot move the cursor. Colour only when `options.color` is true.
 */
export function renderSummary(summary: Summary, options: SummaryRenderOptions = {}): string {
  const color = options.color ?? false
  const lines: string[] = []
  if (summary.title) lines.push(color ? BOLD(printable(summary.title)) : printable(summary.title), '')

  const rows = summary.rows.map((row) => ({
    label: printable(row.label),
    source: row.source === undefined ? '' : printable(row.source),
    value: row.value === undefined || row.value === '' ? '-' : printable(String(row.value)),
  }))
  const labelWidth = Math.max(0, ...rows.map((row) => row.label.length))
  // Only rows with a source line up a third column; a long value without one must not widen it.
  const valueWidth = Math.max(0, ...rows.filter((row) => row.source !== '').map((row) => row.value.length))
  for (const row of rows) {
    const source = row.source ? `  ${color ? paintSource(row.source) : row.source}` : ''
    lines.push(
      `  ${row.label.padEnd(labelWidth)}  ${row.source ? row.value.padEnd(valueWidth) : row.value}${source}`.trimEnd(),
    )
  }

  const paths = (summary.paths ?? []).map((entry) => ({label: printable(entry.label), path: printable(entry.path)}))
  if (paths.length > 0) {
    if (lines.length > 0) lines.push('')
    const heading = summary.pathsTitle ?? 'Files written:'
    lines.push(color ? BOLD(heading) : heading)
    const pathLabelWidth = Math.max(...paths.map((entry) => entry.label.length))
    for (const entry of paths) lines.push(`  ${entry.label.padEnd(pathLabelWidth)}  ${entry.path}`)
  }

  return lines.join('\n') + '\n'
}

function paintSource(source: string): string {
  if (source === 'detected') return GREEN(source)
  if (source === 'fallback') return YELLOW(source)
  return DIM(source)
}
