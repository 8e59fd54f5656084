import {configError, ExitCode, HyopsError} from '../errors.js'
import {printable} from '../ux/terminal.js'
import {parsePublicKeyLine} from './keygen.js'

/** The result of one remote command. */
export interface RemoteExecResult {
  code: number | null
  stdout: string
  stderr: string
}

/** The least an SSH session must do for a key install: run a command with stdin (hyops' SshSession has it). */
export interface RemoteExec {
  exec(command: string, options?: {stdin?: string}): Promise<RemoteExecResult>
}

/** node-ssh's `NodeSSH` fits through its `execCommand`. */
export interface NodeSshLike {
  execCommand(command: string, options?: {stdin?: string}): Promise<RemoteExecResult>
}

export type KeyInstallSession = RemoteExec | NodeSshLike

export interface KeyInstallOptions {
  /** `user@host`, for error messages. */
  target?: string
}

const MARKER = 'HYOPS-KEY:'

// Runs in the login shell of the SSH user (POSIX sh syntax). Two lines arrive on stdin: the
// key blob, then the whole key line. The key is present when a line that is not a comment
// holds the same blob, whatever its options or comment. A symlinked authorized_keys (Proxmox
// links root's to the cluster file in /etc/pve/priv) is appended to but not chmod-ed: its
// target's mode belongs to the cluster file system.
const SCRIPT =
  `set -eu
umask 077
IFS= read -r blob
IFS= read -r key
dir="$HOME/.ssh"
file="$dir/authorized_keys"
[ -d "$dir" ] || mkdir -m 700 "$dir"
chmod 700 "$dir"
[ -e "$file" ] || [ -L "$file" ] || : > "$file"
[ -L "$file" ] || chmod 600 "$file"
if awk -v blob="$blob" '/^[ \\t]*#/ { next } { for (i = 1; i <= NF; i++) if ($i == blob) ` +
  `found = 1 } END { exit found ? 0 : 1 }' "$file"; then
  echo '${MARKER}present'
  exit 0
fi
if [ -s "$file" ] && [ -n "$(tail -c 1 "$file")" ]; then printf '\\n' >> "$file"; fi
printf '%s\\n' "$key" >> "$file"
echo '${MARKER}installed'
`

/**
 * Appends a public key to `~/.ssh/authorized_keys` of the session's user unless that key
 * (same key blob, any comment or options) is already there. Creates `~/.ssh` (0700) and the
 * file (0600) when missing and fixes their modes when they exist. The key travels on stdin,
 * never in the command line. Returns `installed` or `present`; a remote failure is exit 20.
 */
export async function installAuthorizedKey(
  session: KeyInstallSession,
  publicKeyLine: string,
  options: KeyInstallOptions = {},
): Promise<'installed' | 'present'> {
  const key = parsePublicKeyLine(publicKeyLine)
  if (!key)
    throw configError(
      'the public key to install is not one OpenSSH public key line',
      'check the .pub file next to PROXMOX_SSH_KEY',
    )
  const line = [key.type, key.blob, key.comment].filter(Boolean).join(' ')
  const where = options.target ? ` on ${options.target}` : ''
  let result: RemoteExecResult
  try {
    result = await run(session, SCRIPT, `${key.blob}\n${line}\n`)
  } catch (error) {
    throw new HyopsError(ExitCode.Remote, `installing the public key${where} failed: ${(error as Error).message}`, {
      cause: error,
      reason: 'key-install',
    })
  }

  const outcome = /^HYOPS-KEY:(installed|present)$/m.exec(result.stdout)?.[1] as 'installed' | 'present' | undefined
  if (result.code === 0 && outcome) return outcome
  const detail = printable(result.stderr.trim().split('\n').at(-1) ?? '') || `exit code ${result.code}`
  throw new HyopsError(ExitCode.Remote, `installing the public key${where} failed: ${detail}`, {
    hint: 'check that the home directory of the SSH user is writable',
    reason: 'key-install',
  })
}

async function run(session: KeyInstallSession, command: string, stdin: string): Promise<RemoteExecResult> {
  if ('execCommand' in session) return session.execCommand(command, {stdin})
  return session.exec(command, {stdin})
}
