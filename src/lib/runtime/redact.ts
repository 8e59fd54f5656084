const MASK = '***'

// Key names that hold secrets: *token, *secret, *password, *passwd (not token_id, token_name), not the name
// part of a token id (`user@pam!token: ...`). After `=` or a quote any value is masked; after a bare `:` only
// one that looks like a secret (not a plain word), so the words of a message such as
// `automation@pam!token: Token already exists` stay as they are.
const SECRET_KEY = String.raw`(?<![!@.\w-])([\w-]*(?:token|secret|password|passwd))`
// `=`, or a quoted value after `:`, or a bare `:` followed by a value holding more than letters.
const SEPARATOR = `(${[
  String.raw`\\?["']?\s*=\s*\\?["']?`,
  String.raw`\\?["']?\s*:\s*\\?["']`,
  String.raw`\\?["']?\s*:\s*(?=[^\s"'\\,;}]*[^A-Za-z\s"'\\,;}.!?])`,
].join('|')})`
const SECRET_ASSIGNMENT = new RegExp(`${SECRET_KEY}${SEPARATOR}([^\\s"'\\\\,;}]+)`, 'gi')
const PATTERNS: Array<[RegExp, string]> = [
  [/(EXPORT:(?:[0-9a-f]+:)?TOKEN_SECRET=)[^\s"'\\]*/g, `$1${MASK}`],
  [/(authorization\\?["']?\s*[:=]\s*\\?["']?)[^"'\\\r\n]*/gi, `$1${MASK}`],
  [/(PVEAPIToken\s*=?\s*[^=\s"']+=)[^\s"'\\]+/g, `$1${MASK}`],
  [/(Bearer\s+)[^\s"'\\]+/gi, `$1${MASK}`],
  [SECRET_ASSIGNMENT, `$1$2${MASK}`],
]

/**
 * Masks secrets in text before it is persisted or shown: every exact secret value the run
 * knows, then the patterns that announce a secret (token/secret/password assignments,
 * Authorization headers, `EXPORT:TOKEN_SECRET=`).
 */
export class Redactor {
  private readonly secrets = new Set<string>()

  /** Remembers a secret so that its exact value is masked wherever it appears. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4) this.secrets.add(value)
  }

  redact(text: string): string {
    let out = text
    const longestFirst = [...this.secrets].sort((a, b) => b.length - a.length)
    for (const secret of longestFirst) {
      out = out.split(secret).join(MASK)
      const escaped = JSON.stringify(secret).slice(1, -1)
      if (escaped !== secret) out = out.split(escaped).join(MASK)
    }

    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement)
    return out
  }

  /** Redacts a value by its JSON text, so keys and nested strings are both covered. */
  redactJson(value: unknown): unknown {
    const text = this.redact(JSON.stringify(value))
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
}
