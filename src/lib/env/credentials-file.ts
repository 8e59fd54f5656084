import {ExitCode, HyopsError} from '../errors.js'
import {parseTfvars} from '../proxmox/outputs/tfvars.js'
import {readUserText, SMALL_FILE_MAX_BYTES, unreadableReason} from '../runtime/user-file.js'

export interface CredentialsFileOptions {
  /** What the operator can do (printed after the message): "run hyops init <target> on this root". */
  hint: string
  /** A missing file is `undefined` instead of exit 21. */
  optional?: boolean
}

// C0 controls and DEL: no token, URL, name or path hyops writes holds one, and a NUL cannot even reach
// a child's environment. The first one's code, if any.
function controlCharacter(value: string): number | undefined {
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (code < 0x20 || code === 0x7f) return code
  }

  return undefined
}

/**
 * Reads a credentials tfvars file (`<root>/credentials/<target>.credentials.tfvars`) strictly, through
 * the one reader of operator files: missing (unless `optional`), unreadable, not a regular file, not
 * tfvars, or a string value holding a control character (a NUL, a newline, an escape) is exit 21,
 * "garbled credentials", naming the file and, where there is one, the line.
 */
export async function readCredentialsTfvars(
  file: string,
  options: CredentialsFileOptions,
): Promise<ReturnType<typeof parseTfvars> | undefined> {
  let text: string
  try {
    text = await readUserText(file, {maxBytes: SMALL_FILE_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && options.optional) return undefined
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read: ${unreadableReason(error)}`
    throw new HyopsError(ExitCode.Secrets, `the credentials file ${file} ${why}`, {
      hint: options.hint,
      reason: 'credentials',
    })
  }

  let values: ReturnType<typeof parseTfvars>
  try {
    values = parseTfvars(text)
  } catch (error) {
    throw garbled(file, (error as Error).message, options.hint)
  }

  for (const [name, value] of Object.entries(values)) {
    // A map (proxmox_ssh_nodes) is checked in its keys and values too.
    const texts = typeof value === 'string' ? [value] : typeof value === 'object' ? Object.entries(value).flat() : []
    const code = texts.map((text) => controlCharacter(text)).find((found) => found !== undefined)
    if (code === undefined) continue
    const line = lineOf(text, name)
    const unicode = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
    const what = `the value of ${name} holds a control character (${unicode})`
    throw garbled(file, line === undefined ? what : `line ${line}: ${what}`, options.hint)
  }

  return values
}

function garbled(file: string, what: string, hint: string): HyopsError {
  return new HyopsError(ExitCode.Secrets, `garbled credentials in ${file}: ${what}`, {hint, reason: 'credentials'})
}

function lineOf(text: string, name: string): number | undefined {
  const at = text.split(/\r?\n/).findIndex((line) => new RegExp(`^\\s*${name}\\s*=`).test(line))
  return at === -1 ? undefined : at + 1
}

/**
 * The last guard before a target's variables reach a shell or a child's environment, whatever gave them (the
 * vault, a plugin): a NUL cannot be passed on, so such a value is exit 21, "garbled credentials", naming it.
 */
export function refuseNulValues(target: string, variables: ReadonlyArray<{name: string; value: string}>): void {
  const bad = variables.find((variable) => variable.value.includes('\u0000'))
  if (!bad) return
  throw new HyopsError(ExitCode.Secrets, `garbled credentials for ${target}: the value of ${bad.name} holds a NUL`, {
    hint: `check the vault (hyops vault keys) or run hyops init ${target} again`,
    reason: 'credentials',
  })
}
