/**
 * Text that fits a width. Lines are broken at spaces; a word longer than the room (a path, a
 * URL, a token id) is split at a `/`, `,`, `!`, `-`, `_`, `.` or `:` where one falls late
 * enough, else at the width, but never shortened: every character stays, so a value an
 * operator copies is all there, only on more than one line.
 */

/** The width results are laid out for when stdout is not a terminal: stable for scripts and logs. */
export const STABLE_WIDTH = 80

/** Narrower than this, a terminal's width is not honoured (the lines would be unreadable). */
const MIN_WIDTH = 20

/** A stream that may be a terminal, e.g. process.stdout. */
export type WidthStream = {isTTY?: boolean; columns?: number}

/**
 * The width to lay text out for on `stream`: the terminal's columns when it is a TTY, else
 * `STABLE_WIDTH`, so piped and redirected output does not depend on who ran it where.
 */
export function outputWidth(stream: WidthStream = process.stdout): number {
  if (!stream.isTTY || !stream.columns || stream.columns <= 0) return STABLE_WIDTH
  return Math.max(MIN_WIDTH, stream.columns)
}

/**
 * `text` as lines of at most `width` characters. `first` is put before the first line and
 * `indent` before every other one, and both count towards the width.
 */
export function wrapText(text: string, width: number, first = '', indent = ' '.repeat(first.length)): string[] {
  const lines: string[] = []
  let line = first
  let empty = true
  const room = () => width - line.length
  const flush = () => {
    lines.push(line.trimEnd())
    line = indent
    empty = true
  }

  for (const word of text.split(' ').filter((w) => w !== '')) {
    const spaced = empty ? word : ` ${word}`
    if (spaced.length <= room()) {
      line += spaced
      empty = false
      continue
    }

    if (!empty && word.length <= width - indent.length) {
      flush()
      line += word
      empty = false
      continue
    }

    // Longer than a whole line: split it, starting on this line when a useful part fits.
    let rest = word
    if (!empty) {
      if (room() - 1 >= 8) {
        const cut = breakAt(rest, room() - 1)
        line += ` ${rest.slice(0, cut)}`
        rest = rest.slice(cut)
      }

      flush()
    }

    while (rest.length > width - line.length) {
      const cut = breakAt(rest, Math.max(1, width - line.length))
      line += rest.slice(0, cut)
      rest = rest.slice(cut)
      flush()
    }

    line += rest
    empty = rest === ''
  }

  if (!empty || lines.length === 0) lines.push(line.trimEnd())
  return lines
}

const BREAK_AFTER = new Set(['/', ',', '!', '-', '_', '.', ':', '='])

/**
 * Where to split `word` so the first part is at most `room` long: after its last `/` in the
 * second half of the room (paths and URLs break between their parts), else after another
 * separator in the last third, else at `room`.
 */
function breakAt(word: string, room: number): number {
  if (word.length <= room) return word.length
  const slash = word.lastIndexOf('/', room - 1)
  if (slash + 1 > room / 2) return slash + 1
  for (let i = room; i > Math.floor((room * 2) / 3); i--) if (BREAK_AFTER.has(word[i - 1])) return i
  return room
}

/** The longest line of `text`, in characters (escape sequences not counted). */
export function widestLine(text: string): number {
  // eslint-disable-next-line no-control-regex
  return Math.max(0, ...text.split('\n').map((line) => line.replace(/\u001B\[[0-9;]*m/g, '').length))
}

/**
 * A message for `stream`, ending with a newline: wrapped to the terminal's width (the lines
 * after the first indented by two) when the stream is a terminal; left on one line when it is
 * a pipe or a file, so logs and scripts can grep it whole.
 */
export function messageFor(stream: WidthStream, text: string): string {
  return wrappedFor(stream, text) + '\n'
}

/** `messageFor` without the final newline, for writers that add their own. */
export function wrappedFor(stream: WidthStream, text: string): string {
  if (!stream.isTTY) return text
  return wrapText(text, outputWidth(stream), '', '  ').join('\n')
}
