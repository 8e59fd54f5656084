import {ExitCode, HyopsError} from '../errors.js'
import type {Candidate} from './types.js'

/** A value quoted for a message: whole up to 100 characters, else its first 60 and how long it was. */
export function quoteShort(value: string): string {
  return value.length > 100
    ? `${JSON.stringify(value.slice(0, 60))}... (${value.length} characters)`
    : JSON.stringify(value)
}

/** Exit 11: `KEY "value" (where) is not <what>` with the fix as hint. */
export function invalidValue(key: string, candidate: Candidate, what: string, hint: string): HyopsError {
  return new HyopsError(
    ExitCode.ConfigInvalid,
    `${key} ${quoteShort(candidate.value)} (${candidate.where}) is not ${what}`,
    {hint, reason: 'invalid-value'},
  )
}

/** Exit 11: a required key is set nowhere; the hint names the file, the flag and the env var. */
export function missingKey(key: string, place: {configPath: string; flag?: string; env?: string}): HyopsError {
  const ways = [`set ${key} in ${place.configPath}`]
  if (place.flag) ways.push(`pass --${place.flag}`)
  if (place.env) ways.push(`set ${place.env}`)
  const hint = ways.length === 1 ? ways[0] : `${ways.slice(0, -1).join(', ')} or ${ways.at(-1)}`
  return new HyopsError(ExitCode.ConfigInvalid, `${key} is not set`, {hint, reason: 'missing-key'})
}

/** Exit 11 for a config file whose form is wrong, naming the file and line. */
export function malformedConfig(path: string, line: number, what: string, hint: string): HyopsError {
  return new HyopsError(ExitCode.ConfigInvalid, `config ${path} line ${line}: ${what}`, {
    hint,
    reason: 'config-malformed',
  })
}

// NUL, newlines and the other C0 controls (a tab is allowed) and DEL: no config value holds one.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/

/** Refuses a value holding a control character (exit 11 naming the key and where it came from). */
export function refuseControlCharacters(key: string, candidate: Candidate): Candidate {
  if (!CONTROL.test(candidate.value)) return candidate
  const code = candidate.value.codePointAt(candidate.value.search(CONTROL))!
  const name = `U+${code.toString(16).padStart(4, '0').toUpperCase()}`
  throw new HyopsError(ExitCode.ConfigInvalid, `${key} (${candidate.where}) holds a control character (${name})`, {
    hint: `give ${key} without NUL, newline or other control characters`,
    reason: 'invalid-value',
  })
}
