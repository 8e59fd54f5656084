import {readFileSync} from 'node:fs'

import {envPrefix, shellQuote} from '../../ssh/shell-quote.js'
import {SUDO_BOOTSTRAP_COMMAND} from '../bootstrap/script.js'

/**
 * The revoke script (see `bootstrap/sh/revoke.sh`), sent like the bootstrap: its text on stdin to `bash -s`, the
 * bootstrap's helpers first (framed values, the client's stop word, user.cfg reading, the quorum check).
 * Inputs (none secret): USER_FQ, TOKEN_NAME, ROLE_NAME, DELETE_USER (1: hyops made the user, remove it).
 * Output: framed TOKEN_EXISTS, USER_EXISTS, ROLE_EXISTS, then TOKEN_REMOVED, USER_REMOVED or GRANT_REMOVED,
 * ROLE_REMOVED or ROLE_KEPT (how many other grants name it) as each step is done, and REVOKE_DONE at the end.
 * Host-side steps of other features are further pieces placed before `revoke-main.sh` that append a function to
 * REVOKE_EXTRA_STEPS.
 */
export const REVOKE_PIECES = [
  '../bootstrap/sh/lib.sh',
  '../bootstrap/sh/hoststate.sh',
  '../bootstrap/sh/usercfg.sh',
  '../bootstrap/sh/revoke.sh',
  '../bootstrap/sh/revoke-main.sh',
] as const

export const REVOKE_SCRIPT = REVOKE_PIECES.map((piece) => readFileSync(new URL(piece, import.meta.url), 'utf8')).join(
  '\n',
)

/** What the revoke script is told. */
export interface RevokeScriptRequest {
  userFq: string
  tokenName: string
  roleName: string
  deleteUser: boolean
  /** A non-root SSH user runs it through `sudo -n bash -s` (PROXMOX_SSH_SUDO). */
  sudo?: boolean
}

export function revokeEnv(request: RevokeScriptRequest): Record<string, string> {
  return {
    DELETE_USER: request.deleteUser ? '1' : '0',
    ROLE_NAME: request.roleName,
    TOKEN_NAME: request.tokenName,
    USER_FQ: request.userFq,
  }
}

/**
 * The command line and stdin, as the bootstrap's: as root the inputs are environment assignments before
 * `bash -s`; through sudo (whose env_reset would drop them) they are exported at the top of the script.
 */
export function revokeInvocation(request: RevokeScriptRequest): {command: string; stdin: string} {
  const env = revokeEnv(request)
  if (!request.sudo) return {command: `${envPrefix(env)} bash -s`, stdin: REVOKE_SCRIPT}
  const exports = Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
    .join('\n')
  return {command: SUDO_BOOTSTRAP_COMMAND, stdin: `${exports}\n${REVOKE_SCRIPT}`}
}
