import type {ReadinessMarker, ReadinessStatus} from '../../readiness/marker.js'
import {expiryFields} from '../../readiness/token-expiry.js'
import type {ProviderSshMarker} from '../provider-account/record.js'
import type {
  ApiIpSource,
  ClusterNodeInfo,
  DiscoverySource,
  Fallbacks,
  MarkerDiscovery,
  ProvedPermissions,
  RunWarning,
  TokenAction,
} from '../types.js'

/** `marker.runtime`, with the field names the Python hyops wrote. */
export interface ProxmoxMarkerRuntime {
  node: string
  api_ip: string
  storage_vm: string
  storage_iso: string
  storage_snippets: string
  bridge: string
  storage_vm_source: DiscoverySource
  storage_iso_source: DiscoverySource
  storage_snippets_source: DiscoverySource
  bridge_source: DiscoverySource
  /** Where api_ip came from: PROXMOX_API_HOST, the host's report, or PROXMOX_IP. */
  api_ip_source?: ApiIpSource
  /** The cluster's nodes and addresses (`/etc/pve/.members`), e.g. for bpg's per-node SSH addresses. */
  cluster_nodes?: ClusterNodeInfo[]
}

/** `meta/proxmox.ready.json`. */
export interface ProxmoxMarker extends ReadinessMarker {
  target: 'proxmox'
  paths: {config: string; vault: string; credentials: string; evidence_dir: string}
  context: {ssh_public_key: string}
  runtime?: ProxmoxMarkerRuntime
  token?: ProxmoxMarkerToken
  /** What will break later though the credentials work (`ready` keeps its meaning: the credentials work). */
  warnings?: RunWarning[]
  /** The privilege profile validation proved, and where (`init status --check` checks it again). */
  permissions?: ProxmoxMarkerPermissions
  /** PROVIDER_SSH_USER: the provider account on each node, its key's fingerprint and each node's proof. */
  provider_ssh?: ProviderSshMarker
}

/** `marker.token`: the token, what this run did with it, its expiry, and what hyops made on the host. */
export interface ProxmoxMarkerToken {
  id: string
  action: TokenAction
  from_env?: string
  /** The expiry on the host (user.cfg) in Unix seconds, 0 = never; `expire_iso` the same as an ISO time. */
  expire?: number
  expire_iso?: string | null
  /** TOKEN_RENEW_DAYS of the run that wrote the marker (`init status` warns inside that window). */
  renew_days?: number
  /** hyops made this token (so a run may renew it, and `hyops revoke` remove it). */
  managed?: boolean
  /** hyops made the API user (so `hyops revoke` removes it too). */
  user_created?: boolean
}

/** `marker.permissions`. */
export interface ProxmoxMarkerPermissions {
  profile: string
  role: string
  /** Held on every path in `verified_paths`. */
  privileges: string[]
  /** The profile's privileges the host's version does not know. */
  skipped: string[]
  verified_paths: string[]
  /** What this run did with the role and its grant on `/`, when the bootstrap ran. */
  role_action?: string
  grant?: string
  legacy_removed?: string[]
}

export interface ProxmoxMarkerInput {
  status: ReadinessStatus
  runId: string
  /** Defaults to now. */
  generatedAt?: Date
  paths: {config: string; vault: string; credentials: string; evidenceDir: string}
  /** The public key text put into the tfvars; empty when none was found. */
  sshPublicKey?: string
  /** What the bootstrap found (or an earlier marker held); omitted when nothing is known. */
  runtime?: MarkerDiscovery
  /** Why the status is not `ready`. */
  reason?: string
  /** The token id and what this run did with it; `fromEnv` names the env a reused secret came from. */
  token?: {
    id: string
    action: TokenAction
    fromEnv?: string
    /** The expiry on the host (Unix seconds, 0 = never), when known. */
    expire?: number
    renewDays?: number
    managed?: boolean
    userCreated?: boolean
  }
  warnings?: RunWarning[]
  permissions?: ProvedPermissions
  providerSsh?: ProviderSshMarker
}

/** Builds the Proxmox readiness marker (write it through the `hyops:write-marker` hook). */
export function buildProxmoxMarker(input: ProxmoxMarkerInput): ProxmoxMarker {
  const marker: ProxmoxMarker = {
    context: {ssh_public_key: input.sshPublicKey ?? ''},
    generated_at: (input.generatedAt ?? new Date()).toISOString(),
    paths: {
      config: input.paths.config,
      credentials: input.paths.credentials,
      evidence_dir: input.paths.evidenceDir,
      vault: input.paths.vault,
    },
    run_id: input.runId,
    status: input.status,
    target: 'proxmox',
  }
  if (input.runtime) marker.runtime = markerRuntime(input.runtime)

  if (input.reason !== undefined) marker.reason = input.reason
  if (input.token) marker.token = markerToken(input.token)

  if (input.warnings && input.warnings.length > 0) marker.warnings = input.warnings
  if (input.permissions) marker.permissions = markerPermissions(input.permissions)
  if (input.providerSsh) marker.provider_ssh = input.providerSsh

  return marker
}

/** The token in the marker's snake_case shape. */
function markerToken(token: NonNullable<ProxmoxMarkerInput['token']>): ProxmoxMarkerToken {
  const out: ProxmoxMarkerToken = {action: token.action, id: token.id}
  if (token.fromEnv !== undefined) out.from_env = token.fromEnv
  if (token.expire !== undefined) Object.assign(out, expiryFields(token.expire))
  if (token.renewDays !== undefined) out.renew_days = token.renewDays
  if (token.managed) out.managed = true
  if (token.userCreated) out.user_created = true
  return out
}

/** Proved privileges in the marker's snake_case shape (also the `--json` result's). */
export function markerPermissions(p: ProvedPermissions): ProxmoxMarkerPermissions {
  const out: ProxmoxMarkerPermissions = {
    privileges: p.privileges,
    profile: p.profile,
    role: p.role,
    skipped: p.skipped,
    verified_paths: p.paths,
  }
  if (p.roleAction) out.role_action = p.roleAction
  if (p.grant) out.grant = p.grant
  if (p.legacyRemoved && p.legacyRemoved.length > 0) out.legacy_removed = p.legacyRemoved
  return out
}

/** Runtime values in the marker's (the Python hyops's) snake_case shape. */
export function markerRuntime(r: MarkerDiscovery): ProxmoxMarkerRuntime {
  const runtime: ProxmoxMarkerRuntime = {
    api_ip: r.apiIp,
    bridge: r.bridge,
    bridge_source: r.bridgeSource,
    node: r.node,
    storage_iso: r.storageIso,
    storage_iso_source: r.storageIsoSource,
    storage_snippets: r.storageSnippets,
    storage_snippets_source: r.storageSnippetsSource,
    storage_vm: r.storageVm,
    storage_vm_source: r.storageVmSource,
  }
  if (r.apiIpSource) runtime.api_ip_source = r.apiIpSource
  if (r.clusterNodes) runtime.cluster_nodes = r.clusterNodes
  return runtime
}

/**
 * The runtime values of an existing marker (any status), for a run without the remote
 * bootstrap. Undefined when the marker has no `runtime.node`, or no `runtime.api_ip` and no
 * fallback for it. A missing storage or bridge takes its fallback with source `fallback`; a
 * missing or unknown `*_source` counts as `fallback`.
 */
export function discoveryFromMarker(marker: unknown, fallbacks?: Fallbacks): MarkerDiscovery | undefined {
  const runtime = (marker as {runtime?: unknown} | undefined)?.runtime
  if (runtime === null || typeof runtime !== 'object') return undefined
  const r = runtime as Record<string, unknown>
  const text = (name: string) =>
    typeof r[name] === 'string' && (r[name] as string).trim() !== '' ? (r[name] as string).trim() : undefined
  const node = text('node')
  const apiIp = text('api_ip') ?? fallbacks?.apiIp
  if (node === undefined || apiIp === undefined) return undefined

  const value = (name: string, fallback: string | undefined): [string, DiscoverySource] | undefined => {
    const found = text(name)
    if (found !== undefined) return [found, r[`${name}_source`] === 'detected' ? 'detected' : 'fallback']
    return fallback === undefined ? undefined : [fallback, 'fallback']
  }

  const storageVm = value('storage_vm', fallbacks?.storageVm)
  const storageIso = value('storage_iso', fallbacks?.storageIso)
  const storageSnippets = value('storage_snippets', fallbacks?.storageSnippets)
  const bridge = value('bridge', fallbacks?.bridge)
  if (!storageVm || !storageIso || !storageSnippets || !bridge) return undefined
  const source = r.api_ip_source
  const nodes = Array.isArray(r.cluster_nodes) ? (r.cluster_nodes as ClusterNodeInfo[]) : undefined
  return {
    ...(source === 'api_host' || source === 'reported' || source === 'proxmox_ip' ? {apiIpSource: source} : {}),
    ...(nodes ? {clusterNodes: nodes} : {}),
    apiIp,
    bridge: bridge[0],
    bridgeSource: bridge[1],
    node,
    storageIso: storageIso[0],
    storageIsoSource: storageIso[1],
    storageSnippets: storageSnippets[0],
    storageSnippetsSource: storageSnippets[1],
    storageVm: storageVm[0],
    storageVmSource: storageVm[1],
  }
}
