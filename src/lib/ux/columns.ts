import {wrapText} from './wrap.js'

/** One row of a table: a label, its value and, optionally, where the value came from. */
export interface ColumnRow {
  label: string
  value: string
  source?: string
}

export interface ColumnOptions {
  /** The widest a line may be. */
  width: number
  /** Spaces before the label; 2 by default. */
  indent?: number
  /** Colours a piece of a source (`whole` is the full source it was cut from); none by default. */
  paint?: (piece: string, whole: string) => string
}

const GAP = '  '

/**
 * Rows as lines of at most `width` characters: `label  value  source`, labels and sources
 * each in an aligned column. When every row fits, that is the whole table. Otherwise the
 * source column is placed where it serves the most rows; a row whose value is too long for it
 * keeps the value on its own line(s), wrapped within the value column, with its source on the
 * next line, under the source column (or under the value when it is too long for that too).
 */
export function layoutColumns(rows: ColumnRow[], options: ColumnOptions): string[] {
  const {width} = options
  const paint = options.paint ?? ((piece: string) => piece)
  const indent = ' '.repeat(options.indent ?? 2)
  const labelWidth = Math.max(0, ...rows.map((row) => row.label.length))
  // A label column that leaves the values too little room is given up: values go under their labels.
  const stacked = indent.length + labelWidth + GAP.length + 16 > width
  const valueStart = stacked ? indent.length + 2 : indent.length + labelWidth + GAP.length
  const sourceWidth = sourceColumn(rows, valueStart, width)
  const sourceStart = valueStart + sourceWidth + GAP.length
  const lines: string[] = []
  for (const row of rows) {
    const head = stacked ? indent + row.label : indent + row.label.padEnd(labelWidth) + GAP
    const values = wrapText(row.value, width, stacked ? ' '.repeat(valueStart) : head, ' '.repeat(valueStart))
    if (stacked) lines.push(head.trimEnd())
    const source = row.source ?? ''
    if (source === '') {
      lines.push(...values)
      continue
    }

    const inline = values.length === 1 && row.value.length <= sourceWidth && sourceStart + source.length <= width
    if (inline) {
      lines.push(values[0].padEnd(sourceStart) + paint(source, source))
      continue
    }

    lines.push(...values)
    const under = sourceStart + source.length <= width ? sourceStart : valueStart
    for (const piece of wrapText(source, width, ' '.repeat(under))) {
      const text = piece.trimStart()
      lines.push(piece.slice(0, piece.length - text.length) + paint(text, source))
    }
  }

  return lines.map((line) => line.trimEnd())
}

/**
 * How wide the value column is before the sources: of the widths that let a row keep its
 * source on the same line, the one that does so for the most rows (the widest on a tie).
 */
function sourceColumn(rows: ColumnRow[], valueStart: number, width: number): number {
  const sourced = rows.filter((row) => row.source)
  const candidates = [...new Set(sourced.map((row) => row.value.length))].sort((a, b) => a - b)
  let best = {count: -1, width: 0}
  for (const candidate of candidates) {
    const start = valueStart + candidate + GAP.length
    const count = sourced.filter(
      (row) => row.value.length <= candidate && start + (row.source ?? '').length <= width,
    ).length
    if (count >= best.count) best = {count, width: candidate}
  }

  return Math.min(best.width, width - valueStart)
}
