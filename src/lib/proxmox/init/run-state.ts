// The state one `hyops init proxmox` run carries between its steps, and the small helpers they share.
import type {RunWarning} from '../types.js'
import type {InitContext} from '../../command/init-command.js'
import type {ReadinessMarker} from '../../readiness/marker.js'
import type {HostKeyPolicy} from '../../ssh/known-hosts.js'
import type {LoadedVault} from '../../vault/vault-access.js'
import type {ProxmoxTokenCheckResult} from './validation.js'
import {readSavedClusterCa} from '../bootstrap/cluster-ca.js'
import {readTlsCaFile} from '../config/resolve.js'
import type {KnownSecret} from './known-secret.js'
import type {MarkerDiscovery, TokenAction} from '../outputs/marker.js'
import type {ReusableToken} from '../token-reuse/scan.js'
import type {SshRoute} from '../config/ssh-route.js'
import type {VerifiedPrivileges} from '../permissions/verify.js'
import type {ProxmoxInputs, RoleReport} from '../types.js'
import type {ProviderAccountReport} from '../provider-account/setup.js'

export interface ProxmoxInitOptions {
  /** `--bootstrap`: run the remote bootstrap even when a re-run could do without it. */
  bootstrap: boolean
  /** `--remote` / `--no-remote`; undefined lets the run decide. */
  remote?: boolean
  hostKeyPolicy: HostKeyPolicy
  /** What ~/.ssh/config adds to the connection (key files, jump hosts, known_hosts). */
  ssh?: SshRoute
  /** `--enable-snippets[=STORAGE]`: add snippets to that (true: the offered) file-based storage. */
  enableSnippets?: string | true
}

/** What the command hands the flow: its hooks and its output. */
export interface ProxmoxInitIo {
  loadVault: () => Promise<LoadedVault>
  writeMarker: (marker: ReadinessMarker) => Promise<string>
  /** Runs one step with progress on the terminal (evidence is the flow's). */
  step: <T>(label: string, run: () => Promise<T>) => Promise<T>
  /** One line of information for the operator (stderr). */
  note: (line: string) => void
}

/** The outcome of a run; holds no secret. */
export interface ProxmoxInitOutcome {
  status: 'ready' | 'dry-run'
  inputs: ProxmoxInputs
  runtime?: MarkerDiscovery
  apiUrl?: string
  tokenId: string
  tokenAction: TokenAction | 'would-create' | 'would-rotate' | 'would-keep'
  /** Where the secret came from when it was not made by this run. */
  secretOrigin?: string
  remote: boolean
  proxmoxVersion?: string
  paths: {config: string; vault: string; credentials: string; marker: string; evidenceDir: string}
  written: string[]
  plan?: string[]
  /** What will break later though the run is ready (e.g. no snippets storage). */
  warnings?: RunWarning[]
  /** The privileges validation proved, and what the bootstrap did with the role (when it ran that far). */
  permissions?: VerifiedPrivileges & {
    roleAction?: RoleReport['action']
    grant?: RoleReport['grant']
    legacyRemoved?: string[]
  }
}

export interface RunState {
  inputs: ProxmoxInputs
  io: ProxmoxInitIo
  known?: KnownSecret
  paths: ProxmoxInitOutcome['paths']
  previousMarker?: ReadinessMarker
  vault: LoadedVault
  /** Set as soon as the host hands over a new secret. */
  madeSecret?: string
  /** The marker's bytes before a rotation's write-ahead rewrote it as not ready. */
  markerBefore?: Buffer
  /** The vault's error when a new secret had to go to the credentials file instead (thrown after the bootstrap). */
  keepError?: unknown
  /** Set when a rotation removed the old token on the host (its secret is dead), even if no new one came. */
  tokenRemoved?: boolean
  tokenAction?: TokenAction
  runtime?: MarkerDiscovery
  /** The sibling env whose secret this run took (already in this env's vault). */
  reused?: ReusableToken
  /** A secret already validated against the runtime this run found (not validated twice). */
  checked?: {secret: string; result: ProxmoxTokenCheckResult}
  /** PROVIDER_SSH_USER's account as this run made or kept it on every node. */
  providerAccount?: ProviderAccountReport
}

export interface Found {
  runtime: MarkerDiscovery
  caPem?: string
  /** What the bootstrap did with the managed role, when it ran. */
  role?: RoleReport
}

export function step<T>(io: ProxmoxInitIo, context: InitContext, label: string, run: () => Promise<T>): Promise<T> {
  return io.step(label, () => context.evidence.step(label, run))
}

export function fallbacksOf(inputs: ProxmoxInputs) {
  return {
    apiIp: inputs.host,
    bridge: inputs.fallbackBridge,
    storageIso: inputs.fallbackStorageIso,
    storageSnippets: inputs.fallbackStorageSnippets,
    storageVm: inputs.fallbackStorageVm,
  }
}

export function noRemoteDiscovery(inputs: ProxmoxInputs, fromMarker: MarkerDiscovery | undefined): Found {
  const f = fallbacksOf(inputs)
  const runtime: MarkerDiscovery = fromMarker ?? {
    apiIp: f.apiIp,
    bridge: f.bridge,
    bridgeSource: 'fallback',
    node: inputs.host,
    storageIso: f.storageIso,
    storageIsoSource: 'fallback',
    storageSnippets: f.storageSnippets,
    storageSnippetsSource: 'fallback',
    storageVm: f.storageVm,
    storageVmSource: 'fallback',
  }
  return {runtime}
}

/**
 * The CA validation verifies against: none with TLS_SKIP, TLS_CA_FILE, the one the host just gave, or the saved
 * cluster CA.
 */
export async function knownCaPem(
  context: InitContext,
  inputs: ProxmoxInputs,
  fromHost?: string,
): Promise<string | undefined> {
  if (inputs.tlsSkip) return undefined
  return inputs.tlsCaFile ? readTlsCaFile(inputs.tlsCaFile) : (fromHost ?? (await readSavedClusterCa(context.layout)))
}
