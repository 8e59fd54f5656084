import {shellQuote} from '../ssh/shell-quote.js'
import {isValidEnvKey, quoteEnvValue} from '../vault/env-file.js'
import type {EnvVariable} from './hook.js'

/** How `hyops env` prints the variables. */
export const ENV_OUTPUTS = ['shell', 'dotenv', 'json'] as const
export type EnvOutput = (typeof ENV_OUTPUTS)[number]

/**
 * The variables as text:
 * - `shell`: `export NAME='value'` lines, single-quoted for POSIX shells (`'` as `'\''`), so
 *   `eval "$(hyops env ...)"` in sh, dash, bash or zsh sets the value byte for byte.
 * - `dotenv`: `NAME='value'` when the value has no `'` and no line break (literal in every
 *   dotenv reader), else `NAME="value"` with `\\`, `\"`, `\n`, `\r` escaped (the vault's format).
 * - `json`: one object `{"NAME": "value"}`.
 */
export function renderEnv(variables: readonly EnvVariable[], output: EnvOutput): string {
  for (const {name, value} of variables) {
    if (!isValidEnvKey(name)) throw new TypeError(`invalid environment variable name: ${JSON.stringify(name)}`)
    if (value.includes('\0')) throw new TypeError(`the value of ${name} holds a NUL byte`)
  }

  if (output === 'json')
    return JSON.stringify(Object.fromEntries(variables.map((v) => [v.name, v.value])), null, 2) + '\n'
  const lines = variables.map(({name, value}) =>
    output === 'shell' ? `export ${name}=${shellQuote(value)}` : `${name}=${dotenvValue(value)}`,
  )
  return lines.length === 0 ? '' : lines.join('\n') + '\n'
}

function dotenvValue(value: string): string {
  return /['\r\n]/.test(value) ? quoteEnvValue(value) : `'${value}'`
}

/** The names only, one a line (or a JSON array): safe anywhere. */
export function renderNames(variables: readonly EnvVariable[], output: EnvOutput): string {
  const names = variables.map((v) => v.name)
  if (output === 'json') return JSON.stringify(names) + '\n'
  return names.length === 0 ? '' : names.join('\n') + '\n'
}
