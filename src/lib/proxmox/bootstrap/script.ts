import {readFileSync} from 'node:fs'

import {envPrefix, shellQuote} from '../../ssh/shell-quote.js'
import type {ProxmoxInputs, TokenMode} from '../types.js'

/**
 * The remote bootstrap (the `.sh` pieces beside this file, checked by shellcheck), run on the
 * Proxmox VE host (7, 8 or 9) as root with `bash -s`: its text arrives on stdin, so no file
 * is left on the host. It needs only bash, coreutils, perl with JSON::PP and the host's own
 * `pveum`, `pvesh`, `ip` and `hostname` (no jq, no python).
 *
 * Inputs (environment, set with {@link bootstrapCommand}): USER_FQ, TOKEN_NAME,
 * TOKEN_MODE (keep|create|rotate), FALLBACK_STORAGE_VM, FALLBACK_STORAGE_ISO,
 * FALLBACK_STORAGE_SNIPPETS, FALLBACK_BRIDGE, WANT_CA (1: print the cluster CA) and
 * READ_ONLY (1: change nothing, only discover and report).
 *
 * Output: `EXPORT:NAME=VALUE` lines on stdout (NODE, IP, STORAGE_VM, STORAGE_ISO,
 * STORAGE_SNIPPETS, BRIDGE and their *_SOURCE, TOKEN_EXISTS, TOKEN_PRIVSEP when the token
 * exists, CA_PEM_B64 when asked, TOKEN_REMOVED=1 once a rotation removed the old token,
 * TOKEN_SECRET only when it made a token). Errors: a
 * `hyops-bootstrap:` line on stderr and a non-zero exit. Everything that only reads runs
 * before anything that changes the host, so a failed discovery changes nothing.
 *
 * ACLs (granted to the user and, when it exists, to the token; privilege separation is off,
 * so the user's grants are what count, the token's keep working if someone turns it on):
 * - `/` PVEVMAdmin: create, configure, clone, snapshot, start/stop and open consoles of VMs
 *   (Terraform resources, Packer builds).
 * - `/` PVEAuditor: read nodes, storages, networks and tasks, which the providers query.
 * - `/storage` PVEDatastoreAdmin: allocate disks, upload ISOs and templates, read content.
 * - `/sdn/zones` PVESDNUser (Proxmox VE 8 and later, where the role exists): SDN.Use, needed
 *   to attach a NIC to a bridge since 8.0.
 * No Sys.Modify, no user or permission management, no Administrator.
 */
/** The script's pieces, in the order they are sent: helpers first, `main` last. */
export const BOOTSTRAP_PIECES = ['lib.sh', 'discover.sh', 'hoststate.sh', 'token.sh', 'acls.sh', 'main.sh'] as const

export const BOOTSTRAP_SCRIPT = BOOTSTRAP_PIECES.map((piece) =>
  readFileSync(new URL(piece, import.meta.url), 'utf8'),
).join('\n')

/** What the bootstrap script is asked to do. */
export interface BootstrapScriptRequest {
  inputs: Pick<
    ProxmoxInputs,
    'userFq' | 'tokenName' | 'fallbackStorageVm' | 'fallbackStorageIso' | 'fallbackStorageSnippets' | 'fallbackBridge'
  >
  tokenMode: TokenMode
  /** Print the cluster CA (verified TLS without TLS_CA_FILE). */
  wantCa: boolean
  /** Change nothing on the host: only discover and report (for --dry-run). */
  readOnly?: boolean
  /** `--enable-snippets=STORAGE`: the script stops before any change unless it is a file-based storage. */
  snippetsStorage?: string
}

/** The script's environment: every input, none of them secret. */
export function bootstrapEnv(request: BootstrapScriptRequest): Record<string, string> {
  const {inputs} = request
  return {
    USER_FQ: inputs.userFq,
    TOKEN_NAME: inputs.tokenName,
    TOKEN_MODE: request.tokenMode,
    FALLBACK_STORAGE_VM: inputs.fallbackStorageVm,
    FALLBACK_STORAGE_ISO: inputs.fallbackStorageIso,
    FALLBACK_STORAGE_SNIPPETS: inputs.fallbackStorageSnippets,
    FALLBACK_BRIDGE: inputs.fallbackBridge,
    WANT_CA: request.wantCa ? '1' : '0',
    READ_ONLY: request.readOnly ? '1' : '0',
    ...(request.snippetsStorage ? {SNIPPETS_STORAGE: request.snippetsStorage} : {}),
  }
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
