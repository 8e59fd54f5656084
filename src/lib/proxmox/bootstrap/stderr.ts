// What the bootstrap's stderr says went wrong, in one line (and when it was sudo that refused).
import {ExitCode, HyopsError} from '../../errors.js'
import {SUDO_BOOTSTRAP_COMMAND} from './script.js'

/**
 * The script's failure in one line: its last stderr line and, when that is the script's own
 * `hyops-bootstrap:` message, the line before it (what the failing command said).
 */
export function summarizeStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const last = lines.at(-1)
  if (last === undefined) return 'no error output'
  const own = /^hyops-bootstrap:\s*/
  if (!own.test(last)) return clip(last)
  const message = last.replace(own, '')
  const cause = lines.at(-2)
  return clip(cause && !own.test(cause) ? `${message}: ${cause}` : message)
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 297)}...` : text
}

const SUDO_REFUSED = new RegExp(
  [
    '^sudo: (?:a password is required|a terminal is required)$',
    '^sudo: .*(?:not allowed|not in the sudoers|may not run sudo).*$',
    '^Sorry, user .* is not allowed to execute.*$',
    '^.*is not in the sudoers file.*$',
    '^.*sudo: (?:command )?not found.*$',
  ].join('|'),
  'm',
)

/** Exit 20 `sudo-refused` when sudo, not the bootstrap, said no: the fix is a sudoers rule on the host. */
export function checkSudo(target: string, user: string, stderr: string): void {
  const line = SUDO_REFUSED.exec(stderr)?.[0]
  if (line === undefined) return
  const rule = `${user} ALL=(root) NOPASSWD: /usr/bin/bash -s`
  throw new HyopsError(
    ExitCode.Remote,
    `sudo on ${target} refused to run the bootstrap (${SUDO_BOOTSTRAP_COMMAND}): ${clip(line.trim())}`,
    {
      hint:
        `as root on the host, add the sudoers rule "${rule}" (echo '${rule}' > /etc/sudoers.d/hyops; ` +
        'chmod 440 /etc/sudoers.d/hyops; visudo -c), or connect as root with PROXMOX_SSH_SUDO=false',
      reason: 'sudo-refused',
    },
  )
}
