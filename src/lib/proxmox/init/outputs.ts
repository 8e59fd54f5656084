// What a run writes: a new secret kept at once, and for a successful run, assembled from what it learnt, the
// credentials file's text, the ready marker, the evidence's outcome and the command's outcome.

import {writeFileSafely} from '../../runtime/safe-write.js'
import {KEY_FILE_MAX_BYTES, readUserText} from '../../runtime/user-file.js'
import {readPublicKey} from '../../ssh/keygen.js'
import type {LoadedVault} from '../../vault/vault-access.js'
import {proxmoxUrl} from '../api/url.js'
import type {ProxmoxTokenCheckResult} from '../api/validation.js'
import {runWarnings} from '../host/warnings.js'
import {detectBindAddress} from '../outputs/http-bind.js'
import {buildProxmoxMarker, type ProxmoxMarker} from '../outputs/marker.js'
import {proxmoxTfvarsFrom, renderProxmoxTfvars} from '../outputs/tfvars.js'
import {vaultEntryFor} from '../secret/known-secret.js'
import type {TokenLife} from '../lifetime/renewal.js'
import type {ProxmoxInputs, RunWarning} from '../types.js'
import type {ProviderAccountHandover, ProviderSshMarker} from '../provider-account/record.js'
import {emptyTfvars, type Found} from './decisions.js'
import type {ProxmoxInitOutcome} from './io.js'

/** The credentials file of `runtime` holding `secret`, and the public key put into it. */
export async function credentialsText(
  inputs: ProxmoxInputs,
  runtime: Found['runtime'],
  secret: string,
  providerAccount?: ProviderAccountHandover,
): Promise<{tfvars: string; sshPublicKey?: string}> {
  const sshPublicKey = await publicKeyText(inputs)
  const detectedHttpBindAddress = inputs.httpBindAddress
    ? undefined
    : await detectBindAddress(inputs.host, inputs.sshPort)
  const tfvars = renderProxmoxTfvars(
    proxmoxTfvarsFrom({detectedHttpBindAddress, inputs, providerAccount, runtime, sshPublicKey, tokenSecret: secret}),
  )
  return {sshPublicKey, tfvars}
}

/** SSH_PUBLIC_KEY as key text, or read from its path, else `<PROXMOX_SSH_KEY>.pub`. */
export async function publicKeyText(inputs: ProxmoxInputs): Promise<string | undefined> {
  const explicit = inputs.sshPublicKey?.trim()
  if (explicit && /^(ssh-|ecdsa-|sk-)/.test(explicit)) return explicit
  if (explicit)
    return (await readUserText(explicit, {maxBytes: KEY_FILE_MAX_BYTES}).catch(() => '')).trim() || undefined
  return readPublicKey(inputs.sshKey)
}

export interface ReadyFacts {
  inputs: ProxmoxInputs
  paths: ProxmoxInitOutcome['paths']
  found: Found
  check: ProxmoxTokenCheckResult
  remote: boolean
  runId: string
  generatedAt: Date
  sshPublicKey?: string
  /** The token: what the bootstrap did with it (`kept` when it did not run), its expiry, what hyops made. */
  token: ReturnType<TokenLife['record']>
  /** The env whose secret this run took, when it made none. */
  reusedFrom?: string
  /** Where the secret came from, when neither made nor reused. */
  knownOrigin?: string
  written: string[]
  /** PROVIDER_SSH_USER: the account's record for the marker, and its warnings. */
  providerSsh?: {marker?: ProviderSshMarker; warnings: RunWarning[]}
}

/** The ready marker, the evidence's `outcome` and the run's outcome. */
export function readyReport(facts: ReadyFacts): {
  marker: ProxmoxMarker
  evidence: Record<string, unknown>
  outcome: ProxmoxInitOutcome
} {
  const {check, found, inputs, paths, reusedFrom} = facts
  const {runtime} = found
  const apiUrl = proxmoxUrl(runtime.apiIp, inputs.apiPort)
  const permissions =
    (check.verified && {
      ...check.verified,
      ...(found.role && {
        grant: found.role.grant,
        legacyRemoved: found.role.legacyRemoved,
        roleAction: found.role.action,
      }),
    }) ||
    undefined
  const warnings = [...runWarnings(runtime), ...(facts.providerSsh?.warnings ?? [])]
  const tokenAction = reusedFrom === undefined ? facts.token.action : 'reused'
  const marker = buildProxmoxMarker({
    generatedAt: facts.generatedAt,
    paths,
    permissions,
    providerSsh: facts.providerSsh?.marker,
    runId: facts.runId,
    runtime,
    sshPublicKey: facts.sshPublicKey,
    status: 'ready',
    token: {...facts.token, action: tokenAction, fromEnv: reusedFrom},
    warnings,
  })
  const evidence = {
    api_url: apiUrl,
    permissions: marker.permissions ?? null,
    proxmox_version: check.version,
    remote: facts.remote,
    reused_from: reusedFrom ?? null,
    runtime: marker.runtime,
    token_action: tokenAction,
    warnings,
  }
  const outcome: ProxmoxInitOutcome = {
    apiUrl,
    inputs,
    paths,
    permissions,
    proxmoxVersion: check.version,
    remote: facts.remote,
    runtime,
    secretOrigin: reusedFrom === undefined ? facts.knownOrigin : `env:${reusedFrom}`,
    status: 'ready',
    tokenAction,
    ...(facts.token.expire === undefined ? {} : {tokenExpire: facts.token.expire}),
    ...(marker.provider_ssh
      ? {
          providerSsh: {
            keyFile: marker.provider_ssh.key_file,
            nodes: marker.provider_ssh.nodes.map((n) => n.name),
            user: marker.provider_ssh.user,
          },
        }
      : {}),
    tokenId: inputs.tokenId,
    warnings,
    written: facts.written,
  }
  return {evidence, marker, outcome}
}

/**
 * A secret the host just made goes to the vault at once (with the token id it belongs to). If the vault
 * cannot take it, it goes to the 0600 credentials file instead (still on disk), and the vault's error comes
 * back as `vaultError`, to be thrown once the bootstrap is over. Resolves with where the secret is; rejects
 * only when neither place took it.
 */
export async function keepNewSecret(request: {
  vault: LoadedVault
  inputs: ProxmoxInputs
  paths: ProxmoxInitOutcome['paths']
  secret: string
  /** The host removed the token's old version in this run. */
  removed: boolean
  note: (line: string) => void
}): Promise<{where: string; vaultError?: unknown}> {
  const {inputs, paths, secret, vault} = request
  try {
    const entry = vaultEntryFor(vault, inputs.tokenId, secret, request.removed)
    await vault.update(entry.changes)
    if (entry.previous) request.note(`Kept ${entry.previous} in the vault ${paths.vault}`)
    return {where: `the vault ${paths.vault}`}
  } catch (error) {
    const partial = renderProxmoxTfvars({...emptyTfvars(inputs), proxmox_token_secret: secret})
    try {
      await writeFileSafely(paths.credentials, partial, {mode: 0o600})
    } catch {
      throw error
    }

    return {vaultError: error, where: paths.credentials}
  }
}
