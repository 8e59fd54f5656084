/**
 * Quotes a value for a POSIX shell: wrapped in single quotes, each `'` written as `'\''`.
 * Nothing inside (spaces, `$`, backticks, `\`, newlines) is expanded by the shell.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new TypeError('a shell argument cannot hold a NUL byte')
  return `'${value.replace(/'/g, `'\\''`)}'`
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * `env NAME='value' ...`, a prefix that runs the next command with these variables.
 * The values are visible in the remote process list: never pass a secret this way.
 */
export function envPrefix(env: Record<string, string>): string {
  const assignments = Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new TypeError(`invalid environment variable name: ${JSON.stringify(name)}`)
    return `${name}=${shellQuote(value)}`
  })
  return assignments.length === 0 ? '' : `env ${assignments.join(' ')}`
}
