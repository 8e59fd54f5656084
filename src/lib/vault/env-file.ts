/** The comment a new vault starts with. */
export const DEFAULT_ENV_HEADER = [
  '# hyops runtime vault: KEY="value" lines, sorted. Change it with `hyops vault set|unset`.',
]

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/
const DOUBLE_QUOTED_ESCAPES: Record<string, string> = {'"': '"', '\\': '\\', n: '\n', r: '\r'}

/** An env file as read: its values, its comment lines, and the lines that were not understood. */
export interface EnvFile {
  values: Record<string, string>
  /** `#` lines as written, in order. */
  comments: string[]
  /** 1-based numbers of lines that are neither blank, a comment nor a `KEY=value` assignment. */
  invalidLines: number[]
}

/** True for the key names the vault holds: a letter or `_`, then letters, digits or `_`. */
export function isValidEnvKey(key: string): boolean {
  return KEY.test(key)
}

/** A value inside double quotes: `\` `"` CR and LF become `\\` `\"` `\r` `\n`. */
export function quoteEnvValue(value: string): string {
  return (
    '"' +
    value.replaceAll(/[\\"\r\n]/g, (c) => ({'"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r'})[c] as string) +
    '"'
  )
}

/**
 * Writes the vault's plaintext: the comment lines, then one `KEY="value"` line per key in
 * sorted order, each line ending in LF. Throws on a key that is not a valid name.
 */
export function formatEnvFile(
  values: Readonly<Record<string, string>>,
  comments: readonly string[] = DEFAULT_ENV_HEADER,
): string {
  const lines = comments.map((line) => (line.startsWith('#') ? line : `# ${line}`).replaceAll(/[\r\n]+/g, ' '))
  for (const key of Object.keys(values).sort()) {
    if (!isValidEnvKey(key)) throw new Error(`"${key}" is not a valid env key`)
    lines.push(`${key}=${quoteEnvValue(values[key])}`)
  }

  return lines.length === 0 ? '' : lines.join('\n') + '\n'
}

/**
 * Reads an env file leniently: blank lines and `#` comments are skipped; `export ` before a
 * key is allowed; a value may be double-quoted (the escapes of `quoteEnvValue`; any other
 * escape is kept as written; it may run over several lines), single-quoted (taken as written)
 * or bare (trimmed, taken as written). A later assignment of a key wins. Lines that are none
 * of these are reported in `invalidLines`, never guessed at.
 */
export function parseEnvFile(text: string): EnvFile {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
  const values = new Map<string, string>()
  const comments: string[] = []
  const invalidLines: number[] = []
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]
    const trimmed = line.trim()
    if (trimmed === '') continue
    if (trimmed.startsWith('#')) {
      comments.push(trimmed)
      continue
    }

    const match = ASSIGNMENT.exec(line)
    if (!match) {
      invalidLines.push(index + 1)
      continue
    }

    const [, key, rest] = match
    const value = rest.trimStart()
    const quote = value[0]
    if (quote !== '"' && quote !== "'") {
      values.set(key, value.trim())
      continue
    }

    const parsed = readQuoted(lines, index, line.length - value.length + 1, quote)
    if (parsed === undefined) {
      invalidLines.push(index + 1)
      continue
    }

    values.set(key, parsed.value)
    index = parsed.lastLine
  }

  return {comments, invalidLines, values: Object.fromEntries(values)}
}

/** Reads a quoted value that starts after the opening quote at `column` of line `first`. */
function readQuoted(
  lines: string[],
  first: number,
  column: number,
  quote: string,
): {value: string; lastLine: number} | undefined {
  let value = ''
  for (let index = first; index < lines.length; index++) {
    const line = lines[index]
    let i = index === first ? column : 0
    if (index !== first) value += '\n'
    while (i < line.length) {
      const c = line[i]
      if (c === quote) {
        const after = line.slice(i + 1).trim()
        return after === '' || after.startsWith('#') ? {lastLine: index, value} : undefined
      }

      if (c === '\\' && quote === '"' && i + 1 < line.length) {
        const next = line[i + 1]
        value += DOUBLE_QUOTED_ESCAPES[next] ?? c + next
        i += 2
        continue
      }

      value += c
      i++
    }
  }

  return undefined
}
