import {ExitCode, HyopsError} from '../../errors.js'
import {Redactor} from '../../runtime/redact.js'
import type {SshSession} from '../../ssh/connection.js'
import {bootstrapInvocation, SUDO_BOOTSTRAP_COMMAND} from './script.js'
import {hostStateCause} from '../host/host-state.js'
import {clusterNodesFrom} from '../host/members.js'
import type {DiscoverySource, ProxmoxInputs, RuntimeDiscovery, TokenMode} from '../types.js'

/** The inputs the discovery falls back on. */
export type DiscoveryFallbacks = Pick<
  ProxmoxInputs,
  'host' | 'fallbackStorageVm' | 'fallbackStorageIso' | 'fallbackStorageSnippets' | 'fallbackBridge'
>

export interface RemoteBootstrapRequest {
  inputs: ProxmoxInputs
  /** keep: never make a token; create: only when missing; rotate: remove and recreate. */
  tokenMode: TokenMode
  /** Read the cluster CA (verified TLS without TLS_CA_FILE). */
  wantCa: boolean
  /** Change nothing on the host, only discover (for --dry-run). */
  readOnly?: boolean
  /** `--enable-snippets=STORAGE`, checked by the script before anything changes. */
  snippetsStorage?: string
  /**
   * Called with a secret the host made as soon as it is read, before any error about the
   * rest of the run is thrown, so that the caller can put it on disk whatever happens next.
   */
  onTokenSecret?: (secret: string) => Promise<void>
  /**
   * Called when a rotation removed the existing token, before any error is thrown: from then
   * on the old secret is dead, even if making the new token failed.
   */
  onTokenRemoved?: () => void
  /** Limit for the whole script; 2 minutes by default. */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 120_000
const EXPORT_LINE = /^EXPORT:([A-Z][A-Z0-9_]*)=(.*)$/

/** The `EXPORT:NAME=VALUE` lines of the script's stdout (a later line wins); other lines are ignored. */
export function parseExports(stdout: string): Record<string, string> {
  const exports: Record<string, string> = {}
  for (const raw of stdout.split('\n')) {
    const match = EXPORT_LINE.exec(raw.replace(/\r$/, ''))
    if (match) exports[match[1]] = match[2]
  }

  return exports
}

/**
 * Turns the script's exports into a {@link RuntimeDiscovery}: a value the host did not return
 * falls back on its input with source `fallback`; the API IP falls back on the SSH host, as
 * does a loopback address reported by a host reached at a non-loopback address.
 * Throws HyopsError 20 `no-node` without `NODE`, `bad-ca` when the CA is not a PEM certificate.
 */
export function discoveryFromExports(exports: Record<string, string>, inputs: DiscoveryFallbacks): RuntimeDiscovery {
  const node = exports.NODE?.trim()
  if (!node) {
    throw new HyopsError(ExitCode.Remote, 'the remote bootstrap did not report the node name (no EXPORT:NODE line)', {
      hint: "check that 'hostname' works on the Proxmox host",
      reason: 'no-node',
    })
  }

  const pick = (name: string, fallback: string): [string, DiscoverySource] => {
    const value = exports[name]?.trim()
    if (!value) return [fallback, 'fallback']
    return [value, exports[`${name}_SOURCE`] === 'detected' ? 'detected' : 'fallback']
  }

  const [storageVm, storageVmSource] = pick('STORAGE_VM', inputs.fallbackStorageVm)
  const [storageIso, storageIsoSource] = pick('STORAGE_ISO', inputs.fallbackStorageIso)
  const [storageSnippets, storageSnippetsSource] = pick('STORAGE_SNIPPETS', inputs.fallbackStorageSnippets)
  const [bridge, bridgeSource] = pick('BRIDGE', inputs.fallbackBridge)
  const reportedIp = exports.IP?.trim()
  const apiIp = reportedIp && !(isLoopback(reportedIp) && !isLoopback(inputs.host)) ? reportedIp : inputs.host
  const discovery: RuntimeDiscovery = {
    apiIp,
    bridge,
    bridgeSource,
    node,
    storageIso,
    storageIsoSource,
    storageSnippets,
    storageSnippetsSource,
    storageVm,
    storageVmSource,
    tokenExisted: exports.TOKEN_EXISTS === '1',
  }
  if (exports.TOKEN_SECRET) discovery.tokenSecret = exports.TOKEN_SECRET
  if (exports.CA_PEM_B64) discovery.caPem = decodeCa(exports.CA_PEM_B64)
  if (reportedIp) discovery.reportedIp = reportedIp
  if (exports.OWN_CERT !== undefined) discovery.ownCertificate = exports.OWN_CERT === '1'
  if (exports.BRIDGE_FALLBACK_STATE && bridgeSource === 'fallback')
    discovery.bridgeFallbackState = exports.BRIDGE_FALLBACK_STATE
  if (exports.FILE_STORAGES !== undefined) discovery.fileStorages = fileStorages(exports.FILE_STORAGES)
  if (exports.SNIPPETS_CANDIDATE && storageSnippetsSource === 'fallback')
    discovery.snippetsCandidate = exports.SNIPPETS_CANDIDATE
  const nodes = exports.MEMBERS_B64 ? clusterNodesFrom(exports.MEMBERS_B64, node, reportedIp) : undefined
  if (nodes) discovery.clusterNodes = nodes
  return discovery
}

/** `id=type,type id=type` (FILE_STORAGES) → id → content types. */
function fileStorages(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const at = word.indexOf('=')
    if (at > 0)
      out[word.slice(0, at)] = word
        .slice(at + 1)
        .split(',')
        .filter(Boolean)
  }

  return out
}

function decodeCa(base64: string): string {
  const pem = Buffer.from(base64, 'base64').toString('utf8')
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem)) {
    throw new HyopsError(
      ExitCode.Remote,
      'the cluster CA read from the host (pve-root-ca.pem) is not a PEM certificate',
      {
        hint: 'set TLS_CA_FILE to the CA file, or TLS_SKIP=true',
        reason: 'bad-ca',
      },
    )
  }

  return pem
}

/** Whether an address or name is the local machine (127/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

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

/**
 * Runs the bootstrap script on the host over an open session (script on stdin to `bash -s`,
 * non-secret inputs as environment assignments) and returns what it found. The token secret
 * travels only from the host, never to it. A token that exists in `create` mode comes back
 * as `tokenExisted: true` without a secret: the caller decides (refuse, or rotate).
 * Failures are HyopsError 20 (`script-failed`, `no-node`, `no-secret`, `bad-ca`, or the
 * session's own SSH reasons) whose messages never hold a secret.
 */
export async function runRemoteBootstrap(
  session: SshSession,
  request: RemoteBootstrapRequest,
): Promise<RuntimeDiscovery> {
  const {command, stdin} = bootstrapInvocation({
    inputs: request.inputs,
    readOnly: request.readOnly,
    sudo: request.inputs.sshSudo,
    snippetsStorage: request.snippetsStorage,
    tokenMode: request.tokenMode,
    wantCa: request.wantCa,
  })
  const result = await session.exec(command, {
    stdin,
    timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  })
  // sudo refusing prints before the script starts: no EXPORT line yet.
  if (request.inputs.sshSudo && result.code !== 0 && !/^EXPORT:/m.test(result.stdout))
    checkSudo(session.target, request.inputs.sshUsername, result.stderr)
  const exports = parseExports(result.stdout)
  const redactor = new Redactor()
  const secret = request.tokenMode === 'keep' || request.readOnly ? undefined : exports.TOKEN_SECRET
  if (exports.TOKEN_SECRET) redactor.addSecret(exports.TOKEN_SECRET)
  if (exports.TOKEN_REMOVED === '1' && !request.readOnly) request.onTokenRemoved?.()
  if (secret) await request.onTokenSecret?.(secret)
  if (!secret) delete exports.TOKEN_SECRET

  if (result.code !== 0) {
    const how = result.signal ? `killed by ${result.signal}` : `exit ${result.code}`
    const cause = hostStateCause(result.stderr, request.inputs.sshUsername, request.inputs.userFq)
    throw new HyopsError(
      ExitCode.Remote,
      `remote bootstrap on ${session.target} failed (${how}): ${redactor.redact(summarizeStderr(result.stderr))}`,
      {
        hint: secret
          ? 'the new token secret was kept; fix the cause on the host and re-run'
          : cause && exports.TOKEN_REMOVED !== '1'
            ? cause.hint
            : exports.TOKEN_REMOVED === '1'
              ? 'the old token was removed and its secret no longer works; ' +
                'fix the cause on the host and re-run with --force'
              : 'fix the cause on the Proxmox host and re-run',
        reason: cause?.reason ?? 'script-failed',
      },
    )
  }

  const discovery = discoveryFromExports(exports, request.inputs)
  const mustHaveSecret =
    !request.readOnly && (request.tokenMode === 'rotate' || (request.tokenMode === 'create' && !discovery.tokenExisted))
  if (mustHaveSecret && !discovery.tokenSecret) {
    throw new HyopsError(
      ExitCode.Remote,
      `remote bootstrap on ${session.target} made no token secret for ${request.inputs.tokenId}`,
      {
        hint: "check 'pveum user token add' on the Proxmox host",
        reason: 'no-secret',
      },
    )
  }

  return discovery
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
