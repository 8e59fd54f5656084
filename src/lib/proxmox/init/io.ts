// What a `hyops init proxmox` run is given (options, I/O) and what it hands back (its outcome). The run
// (`ProxmoxInitRun`, run.ts) reaches the host, the API, the vault and the operator only through
// `ProxmoxInitIo`: the command passes `proxmoxInitIo(...)`, tests pass fakes.

import type {ReadinessMarker} from '../../readiness/marker.js'
import {processClock} from '../../time/clock.js'
import type {SshSession} from '../../ssh/connection.js'
import type {HostKeyPolicy} from '../../ssh/known-hosts.js'
import type {LoadedVault} from '../../vault/vault-access.js'
import {
  preloadProxmoxValidation,
  type ProxmoxTokenCheck,
  type ProxmoxTokenCheckResult,
  validateProxmoxToken,
} from '../api/validation.js'
import {openHostSession, type HostSessionRequest} from '../bootstrap/host-session.js'
import {type RemoteBootstrapRequest, runRemoteBootstrap} from '../bootstrap/run.js'
import type {SshRoute} from '../config/ssh-route.js'
import {type HostRevokeReport, type HostRevokeRequest, revokeOnHost} from '../revoke/host-revoke.js'
import {enableSnippets, type SnippetsChange} from '../host/snippets.js'
import {confirmReuseToken, confirmRotateToken} from '../prompts.js'
import {type AccountRemoval, type AccountRemovalRequest, removeProviderAccount} from '../provider-account/remove.js'
import {
  type ProviderAccountReport,
  type ProviderAccountRequest,
  setUpProviderAccount,
} from '../provider-account/setup.js'
import type {
  MarkerDiscovery,
  ProvedPermissions,
  ProxmoxInputs,
  RunWarning,
  RuntimeDiscovery,
  TokenAction,
} from '../types.js'
import {askConfirm} from '../../ux/prompts.js'

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

/** One open SSH session to the Proxmox host, as the run uses it. */
export interface HostSession {
  /** Runs the bootstrap script (see `runRemoteBootstrap`). */
  bootstrap(request: RemoteBootstrapRequest): Promise<RuntimeDiscovery>
  /** Runs the revoke script (`hyops revoke proxmox`, see `revokeOnHost`). */
  revoke(request: HostRevokeRequest): Promise<HostRevokeReport>
  /** Adds the snippets content type to `target` (`pvesm set`). */
  enableSnippets(
    runtime: MarkerDiscovery,
    target: string,
    inputs: ProxmoxInputs,
  ): Promise<{runtime: MarkerDiscovery; change: SnippetsChange}>
  /** PROVIDER_SSH_USER: the provider account on every node from this session (see `setUpProviderAccount`). */
  providerAccount?(request: Omit<ProviderAccountRequest, 'session'>): Promise<ProviderAccountReport>
  /** `hyops revoke`: the provider account and its drop-in off every node (see `removeProviderAccount`). */
  removeProviderAccount?(request: Omit<AccountRemovalRequest, 'session'>): Promise<AccountRemoval[]>
  dispose(): void
}

/** The questions a run may ask at a terminal. */
export interface ProxmoxInitPrompts {
  confirmRotateToken(tokenId: string): Promise<boolean>
  confirmReuseToken(envName: string, host: string): Promise<boolean>
  /** A yes/no question with its default. */
  confirm(question: string, defaultYes: boolean): Promise<boolean>
}

/** Everything a run does outside its own memory, except the evidence and files under the runtime root. */
export interface ProxmoxInitIo {
  loadVault: () => Promise<LoadedVault>
  writeMarker: (marker: ReadinessMarker) => Promise<string>
  /** Runs one step with progress on the terminal (evidence is the run's). */
  step: <T>(label: string, run: () => Promise<T>) => Promise<T>
  /** One line of information for the operator (stderr). */
  note: (line: string) => void
  /** Opens the SSH session to the host (host key, key pair, password, as `openHostSession`). */
  connect: (request: HostSessionRequest) => Promise<HostSession>
  /** Proves a token against the API (`validateProxmoxToken`). */
  validateToken: (check: ProxmoxTokenCheck) => Promise<ProxmoxTokenCheckResult>
  /** Starts loading what `validateToken` needs while the host works (optional). */
  preloadValidation?: () => void
  prompts: ProxmoxInitPrompts
  /** The time of the run's marker. */
  now: () => Date
}

/** The outcome of a run; holds no secret. */
export interface ProxmoxInitOutcome {
  status: 'ready' | 'dry-run'
  inputs: ProxmoxInputs
  runtime?: MarkerDiscovery
  apiUrl?: string
  tokenId: string
  tokenAction: TokenAction | 'would-create' | 'would-rotate' | 'would-keep'
  /** The token's expiry (Unix seconds, 0 = never), when known. */
  tokenExpire?: number
  /** PROVIDER_SSH_USER: the account handed to the provider, its key file and the nodes it was proved on. */
  providerSsh?: {user: string; keyFile: string; nodes: string[]}
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
  permissions?: ProvedPermissions
}

/** The real I/O: the command's vault, marker hook and progress, SSH to the host, HTTPS to the API. */
export function proxmoxInitIo(command: {
  loadVault: () => Promise<LoadedVault>
  writeMarker: (marker: ReadinessMarker) => Promise<string>
  step: <T>(label: string, run: () => Promise<T>) => Promise<T>
  note: (line: string) => void
}): ProxmoxInitIo {
  return {
    ...command,
    connect: connectHostSession,
    now: processClock().now,
    preloadValidation: preloadProxmoxValidation,
    prompts: {
      confirm: (question, defaultYes) => askConfirm(question, defaultYes),
      confirmReuseToken: (envName, host) => confirmReuseToken(envName, host),
      confirmRotateToken: (tokenId) => confirmRotateToken(tokenId),
    },
    validateToken: validateProxmoxToken,
  }
}

/** Opens the SSH session to the host (`openHostSession`) as a {@link HostSession}: init's and revoke's. */
export async function connectHostSession(request: HostSessionRequest): Promise<HostSession> {
  return sshHostSession(await openHostSession(request))
}

function sshHostSession(session: SshSession): HostSession {
  return {
    bootstrap: (request) => runRemoteBootstrap(session, request),
    dispose: () => session.dispose(),
    revoke: (request) => revokeOnHost(session, request),
    enableSnippets: (runtime, target, inputs) => enableSnippets(session, runtime, target, inputs),
    providerAccount: (request) => setUpProviderAccount({...request, session}),
    removeProviderAccount: (request) => removeProviderAccount({...request, session}),
  }
}
