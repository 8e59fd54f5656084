// The bootstrap's exports mapped onto what a run knows about the host (`RuntimeDiscovery`).
import {ExitCode, HyopsError} from '../../errors.js'
import {clusterNodesFrom} from '../host/members.js'
import type {DiscoverySource, Fallbacks, RoleReport, RuntimeDiscovery} from '../types.js'

/**
 * Turns the script's exports into a {@link RuntimeDiscovery}: a value the host did not return
 * falls back on its fallback with source `fallback`; the API IP falls back on PROXMOX_IP (the SSH host), as
 * does a loopback address reported by a host reached at a non-loopback address.
 * Throws HyopsError 20 `no-node` without `NODE`, `bad-ca` when the CA is not a PEM certificate.
 */
export function discoveryFromExports(
  exports: Record<string, string>,
  fallbacks: Fallbacks,
  roleName?: string,
): RuntimeDiscovery {
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

  const [storageVm, storageVmSource] = pick('STORAGE_VM', fallbacks.storageVm)
  const [storageIso, storageIsoSource] = pick('STORAGE_ISO', fallbacks.storageIso)
  const [storageSnippets, storageSnippetsSource] = pick('STORAGE_SNIPPETS', fallbacks.storageSnippets)
  const [bridge, bridgeSource] = pick('BRIDGE', fallbacks.bridge)
  const reportedIp = exports.IP?.trim()
  const apiIp = reportedIp && !(isLoopback(reportedIp) && !isLoopback(fallbacks.apiIp)) ? reportedIp : fallbacks.apiIp
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
  const role = roleReport(exports, roleName)
  if (role) discovery.role = role
  return discovery
}

const ROLE_ACTIONS = new Set(['created', 'updated', 'kept'])

/** ROLE_ACTION, ROLE_PRIVS_SET, ROLE_SKIPPED, GRANT_ACTION and LEGACY_REMOVED → a {@link RoleReport}. */
function roleReport(exports: Record<string, string>, role: string | undefined): RoleReport | undefined {
  const action = exports.ROLE_ACTION
  if (action === undefined || !ROLE_ACTIONS.has(action) || role === undefined) return undefined
  const list = (text: string | undefined, separator: RegExp) => (text ?? '').split(separator).filter(Boolean)
  return {
    action: action as RoleReport['action'],
    grant: exports.GRANT_ACTION === 'granted' ? 'granted' : 'kept',
    legacyRemoved: list(exports.LEGACY_REMOVED, /\s+/),
    privileges: list(exports.ROLE_PRIVS_SET, /,/),
    role,
    skipped: list(exports.ROLE_SKIPPED, /,/),
  }
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
