import {readFileSync} from 'node:fs'

import {envPrefix, shellQuote} from '../../ssh/shell-quote.js'
import type {ProxmoxInputs, TokenMode} from '../types.js'

/**
 * The remote bootstrap (the `.sh` pieces in `sh/`, checked by shellcheck), run on the
 * Proxmox VE host (7, 8 or 9) as root with `bash -s`: its text arrives on stdin, so no file
 * is left on the host. It needs only bash, coreutils, perl with JSON::PP and the host's own
 * `pveum`, `pvesh`, `ip` and `hostname` (no jq, no python).
 *
 * Inputs (environment, set with {@link bootstrapCommand}): USER_FQ, TOKEN_NAME,
 * TOKEN_MODE (keep|create|rotate), ROLE_NAME, ROLE_PRIVS (the profile's privileges, sorted),
 * ROLE_STRICT (1: a privilege the host does not know is an error), WANT_PRIVSEP, TOKEN_EXPIRE
 * (Unix seconds, 0 = never), TOKEN_COMMENT, FALLBACK_STORAGE_VM, FALLBACK_STORAGE_ISO,
 * FALLBACK_STORAGE_SNIPPETS, FALLBACK_BRIDGE, WANT_CA (1: print the cluster CA) and
 * READ_ONLY (1: change nothing, only discover and report).
 *
 * Output: framed `EXPORT:<frame>:NAME=VALUE` lines on stdout (NODE, IP, STORAGE_VM, STORAGE_ISO,
 * STORAGE_SNIPPETS, BRIDGE and their *_SOURCE, TOKEN_EXISTS, TOKEN_PRIVSEP when the token
 * exists, CA_PEM_B64 when asked, TOKEN_REMOVED=1 once a rotation removed the old token,
 * TOKEN_SECRET only when it made a token, ROLE_ACTION, ROLE_PRIVS_SET, ROLE_SKIPPED,
 * GRANT_ACTION, LEGACY_REMOVED). Errors: a `hyops-bootstrap:` line on stderr and a non-zero
 * exit. Everything that only reads runs before anything that changes the host, so a failed
 * discovery changes nothing.
 *
 * Host calls: what exists (user, token, role, grants) is read from /etc/pve/user.cfg and the
 * storages from /etc/pve/storage.cfg, so only changes start pveum, plus one `pveum role list`
 * when the role is not exactly the profile's. A first run makes 5 calls (role list, user add,
 * token add, role add, acl modify), a re-run at most 1, a rotation at most 3.
 *
 * Permissions (`permissions/profiles.ts`): one role, ROLE_NAME, holding the profile's privileges
 * that this version knows, granted on `/` with propagation to the user (and to the token when
 * it has privilege separation). The grants of earlier releases (PVEVMAdmin and PVEAuditor on
 * `/`, PVEDatastoreAdmin on `/storage`, PVESDNUser on `/sdn/zones`) are removed once the role
 * holds.
 */
/** The script's pieces, in the order they are sent: helpers first, `main` last. */
export const BOOTSTRAP_PIECES = [
  'lib.sh',
  'discover.sh',
  'hoststate.sh',
  'usercfg.sh',
  'token.sh',
  'role.sh',
  'main.sh',
] as const

export const BOOTSTRAP_SCRIPT = BOOTSTRAP_PIECES.map((piece) =>
  readFileSync(new URL(`sh/${piece}`, import.meta.url), 'utf8'),
).join('\n')

/** What the bootstrap script is asked to do. */
export interface BootstrapScriptRequest {
  inputs: Pick<
    ProxmoxInputs,
    | 'userFq'
    | 'tokenName'
    | 'fallbackStorageVm'
    | 'fallbackStorageIso'
    | 'fallbackStorageSnippets'
    | 'fallbackBridge'
    | 'privilegeProfile'
    | 'privileges'
    | 'roleName'
    | 'tokenPrivsep'
    | 'tokenExpireDays'
    | 'tokenComment'
  >
  tokenMode: TokenMode
  /** Print the cluster CA (verified TLS without TLS_CA_FILE). */
  wantCa: boolean
  /** Change nothing on the host: only discover and report (for --dry-run). */
  readOnly?: boolean
  /** `--enable-snippets=STORAGE`: the script stops before any change unless it is a file-based storage. */
  snippetsStorage?: string
  /** When a new token's TOKEN_EXPIRE days start (default now). */
  now?: Date
}

/** The script's environment: every input, none of them secret. */
export function bootstrapEnv(request: BootstrapScriptRequest): Record<string, string> {
  const {inputs} = request
  return {
    USER_FQ: inputs.userFq,
    TOKEN_NAME: inputs.tokenName,
    TOKEN_MODE: request.tokenMode,
    ROLE_NAME: inputs.roleName,
    ROLE_PRIVS: [...inputs.privileges].sort().join(','),
    ROLE_STRICT: inputs.privilegeProfile === 'custom' ? '1' : '0',
    WANT_PRIVSEP: inputs.tokenPrivsep ? '1' : '0',
    TOKEN_EXPIRE: String(tokenExpiry(inputs.tokenExpireDays, request.now)),
    TOKEN_COMMENT: inputs.tokenComment,
    FALLBACK_STORAGE_VM: inputs.fallbackStorageVm,
    FALLBACK_STORAGE_ISO: inputs.fallbackStorageIso,
    FALLBACK_STORAGE_SNIPPETS: inputs.fallbackStorageSnippets,
    FALLBACK_BRIDGE: inputs.fallbackBridge,
    WANT_CA: request.wantCa ? '1' : '0',
    READ_ONLY: request.readOnly ? '1' : '0',
    ...(request.snippetsStorage ? {SNIPPETS_STORAGE: request.snippetsStorage} : {}),
  }
}

/** TOKEN_EXPIRE days from now as Unix seconds; 0 stays 0 (never). */
export function tokenExpiry(days: number, now = new Date()): number {
  return days > 0 ? Math.floor(now.getTime() / 1000) + days * 86_400 : 0
}

/** The command line run on the host: `env USER_FQ='..' ... bash -s` (the script goes on stdin). */
export function bootstrapCommand(request: BootstrapScriptRequest): string {
  return `${envPrefix(bootstrapEnv(request))} bash -s`
}

/** The sudo command line of a non-root SSH user (PROXMOX_SSH_SUDO): the sudoers rule must allow exactly this. */
export const SUDO_BOOTSTRAP_COMMAND = 'sudo -n bash -s'

/**
 * What runs on the host and what goes on its stdin. As root: {@link bootstrapCommand} and the script. With
 * `sudo` (a non-root SSH user): `sudo -n bash -s`, whose env_reset would drop variables set before it, so the
 * inputs are `export`ed at the top of the script instead (still nothing secret).
 */
export function bootstrapInvocation(request: BootstrapScriptRequest & {sudo?: boolean}): {
  command: string
  stdin: string
} {
  if (!request.sudo) return {command: bootstrapCommand(request), stdin: BOOTSTRAP_SCRIPT}
  const exports = Object.entries(bootstrapEnv(request))
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
    .join('\n')
  return {command: SUDO_BOOTSTRAP_COMMAND, stdin: `${exports}\n${BOOTSTRAP_SCRIPT}`}
}
