// The pure parts of a run's decisions: whether to reach the host, the errors that stop a run before it
// changes anything, and what a run without the bootstrap knows about the host.

import type {InitContext} from '../../command/init-command.js'
import {ExitCode, HyopsError, secretsError, usageError} from '../../errors.js'
import type {RuntimeLayout} from '../../runtime/layout.js'
import type {LoadedVault} from '../../vault/vault-access.js'
import {readSavedClusterCa} from '../bootstrap/cluster-ca.js'
import {readTlsCaFile} from '../config/resolve.js'
import type {ProxmoxTokenCheck} from '../api/validation.js'
import {proxmoxUrl} from '../api/url.js'
import {privilegePromise} from '../permissions/verify.js'
import {proxmoxTfvarsFrom} from '../outputs/tfvars.js'
import {TOKEN_ID_KEY, TOKEN_SECRET_KEY, vaultSecretIsFor} from '../secret/known-secret.js'
import type {SiblingOffer} from '../token-reuse/flow.js'
import {fallbacksOf, type MarkerDiscovery, type ProxmoxInputs, type RoleReport, type TokenMode} from '../types.js'
import type {ProxmoxInitOptions, ProxmoxInitOutcome} from './io.js'

/** What a run knows about the host once the bootstrap ran (or was skipped). */
export interface Found {
  runtime: MarkerDiscovery
  caPem?: string
  /** What the bootstrap did with the managed role, when it ran. */
  role?: RoleReport
}

/** The hint of a stale secret under --no-remote: the rotation needs the host. */
export const NO_REMOTE_ROTATE_HINT =
  'drop --no-remote so that the token can be rotated on the host, or store its current ' +
  'secret with "hyops vault set PROXMOX_TOKEN_SECRET"'

/** The hint of a stale secret that may not be healed here. */
export const ROTATE_HINT =
  'pass --force to rotate the token (breaks its other users), or store its current secret ' +
  'with "hyops vault set PROXMOX_TOKEN_SECRET"'

/** Whether the run reaches the host over SSH; usage and secrets errors for flags that contradict. */
export function decideRemote(
  options: ProxmoxInitOptions,
  tokenMode: TokenMode,
  nonInteractive: boolean,
  readyMarker: boolean,
): boolean {
  if (options.remote === false) {
    if (options.bootstrap) throw usageError('--bootstrap and --no-remote contradict each other', 'pass one of them')
    if (tokenMode !== 'keep') {
      throw secretsError(
        `--no-remote needs a known token secret, but ` +
          (tokenMode === 'rotate'
            ? '--force rotates the token on the host'
            : `${TOKEN_SECRET_KEY} is not in the vault`),
        'drop --no-remote, or seed the secret with "hyops vault set PROXMOX_TOKEN_SECRET"',
      )
    }

    return false
  }

  if (options.remote === true || options.bootstrap || tokenMode !== 'keep') return true
  // CI often cannot reach the host's SSH port: a non-interactive re-run with a known secret
  // and a ready marker has everything the bootstrap would return.
  return !(nonInteractive && readyMarker)
}

/** --non-interactive with no secret known anywhere (nor in a sibling env): nothing may make a token. */
export function noSecretError(
  vault: Pick<LoadedVault, 'values'>,
  inputs: ProxmoxInputs,
  vaultFile: string,
  offer: SiblingOffer | undefined,
): HyopsError {
  const siblings = offer && offer.scan.envs > 0 ? `, no sibling env in ${offer.scan.envsDir} holds a working one` : ''
  const otherId = vaultSecretIsFor(vault, inputs.tokenId)
  const what = otherId
    ? `the ${TOKEN_SECRET_KEY} in the vault ${vaultFile} is for ${otherId} (${TOKEN_ID_KEY}), not ${inputs.tokenId}`
    : `${TOKEN_SECRET_KEY} is not in the vault ${vaultFile}`
  return secretsError(
    `${what}${siblings}, and --non-interactive forbids making a token`,
    'seed it with "hyops vault set PROXMOX_TOKEN_SECRET", or pass --force to rotate the token',
  )
}

/** The token exists on the host, its secret is not known here, and it may not be rotated. */
export function tokenExistsError(inputs: ProxmoxInputs, vaultFile: string): HyopsError {
  return new HyopsError(
    ExitCode.Secrets,
    `the token ${inputs.tokenId} exists on ${inputs.host}, but its secret is not in the vault ${vaultFile}`,
    {
      hint:
        'pass --force to rotate it (breaks its current users), or store its secret with "hyops ' +
        'vault set PROXMOX_TOKEN_SECRET"',
      reason: 'token-exists',
    },
  )
}

/** A run without the bootstrap: the previous marker's runtime, else the fallbacks. */
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

/** The tfvars of the inputs alone (a new secret kept there when the vault cannot take it). */
export function emptyTfvars(inputs: ProxmoxInputs) {
  return proxmoxTfvarsFrom({inputs, runtime: noRemoteDiscovery(inputs, undefined).runtime, tokenSecret: ''})
}

/** `user@host:port via jump, ...` for the progress line, and the evidence's `ssh` record. */
export function sshTarget(
  inputs: ProxmoxInputs,
  options: ProxmoxInitOptions,
): {target: string; record: Record<string, unknown>} {
  const hops = (options.ssh?.jumps ?? []).map((hop) => `${hop.username}@${hop.host}:${hop.port}`)
  const via = hops.length > 0 ? ` via ${hops.join(', ')}` : ''
  return {
    record: {
      alias: options.ssh?.alias ?? null,
      config: options.ssh?.configPath ?? null,
      jumps: hops,
      sudo: !!inputs.sshSudo,
    },
    target: `${inputs.sshUsername}@${inputs.host}:${inputs.sshPort}${via}`,
  }
}

/**
 * The CA validation verifies against: none with TLS_SKIP, TLS_CA_FILE, the one the host just gave, or the
 * saved cluster CA.
 */
export async function knownCaPem(
  inputs: ProxmoxInputs,
  layout: RuntimeLayout,
  fromHost?: string,
): Promise<string | undefined> {
  if (inputs.tlsSkip) return undefined
  return inputs.tlsCaFile ? readTlsCaFile(inputs.tlsCaFile) : (fromHost ?? (await readSavedClusterCa(layout)))
}

/** The one token check of a run: the API, the snippets storage and the profile's privileges on `runtime`. */
export function tokenCheck(
  inputs: ProxmoxInputs,
  runtime: MarkerDiscovery,
  secret: string,
  caPem: string | undefined,
): ProxmoxTokenCheck {
  return {
    apiUrl: proxmoxUrl(runtime.apiIp, inputs.apiPort),
    caPem,
    node: runtime.node,
    ownCertificate: runtime.ownCertificate,
    privileges: {...privilegePromise(inputs), runtime},
    secret,
    storage: runtime.storageSnippets,
    tlsSkip: inputs.tlsSkip,
    tokenId: inputs.tokenId,
  }
}

/** The bootstrap ran and no secret is known nor made. */
export function noSecretBackError(inputs: ProxmoxInputs): HyopsError {
  return new HyopsError(ExitCode.Secrets, `no secret for the token ${inputs.tokenId} came back from ${inputs.host}`, {
    hint: 'run again with --force to rotate it',
  })
}

/** Where a run reads and writes: its config, credentials, evidence, marker and vault. */
export function runPaths(context: InitContext): ProxmoxInitOutcome['paths'] {
  const {layout} = context
  return {
    config: context.configFile,
    credentials: layout.credentialsFile('proxmox'),
    evidenceDir: context.evidence.dir,
    marker: layout.markerFile('proxmox'),
    vault: context.vaultFile,
  }
}

/** The evidence's `decisions`: whether the run goes to the host, whose secret it uses, what it does with the token. */
export function decisionsRecord(remote: boolean, tokenMode: TokenMode, offer?: SiblingOffer, knownOrigin?: string) {
  return {
    decisions: {
      remote,
      reused_from: offer?.accepted?.envName ?? null,
      secret_origin: offer?.accepted ? 'sibling' : (knownOrigin ?? null),
      token_mode: tokenMode,
    },
  }
}
