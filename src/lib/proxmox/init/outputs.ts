// The writes of a successful run, in the order that loses nothing (vault, credentials,
// marker), and the not-ready marker of a run that changed the token and then failed.

import {readFile} from 'node:fs/promises'

import type {InitContext} from '../../command/init-command.js'
import {ExitCode, HyopsError} from '../../errors.js'
import {writeFileSafely} from '../../runtime/safe-write.js'
import {readPublicKey} from '../../ssh/keygen.js'
import {validateProxmoxToken} from './validation.js'
import {privilegePromise} from '../permissions/verify.js'
import {detectBindAddress} from '../outputs/http-bind.js'
import {vaultEntryFor} from './known-secret.js'
import {buildProxmoxMarker, discoveryFromMarker} from '../outputs/marker.js'
import {proxmoxTfvarsFrom, proxmoxUrl, renderProxmoxTfvars} from '../outputs/tfvars.js'
import type {ProxmoxInputs} from '../types.js'
import {runWarnings} from '../host/warnings.js'
import {
  accountMarker,
  accountWarnings,
  handoverFromMarker,
  handoverOf,
  type ProviderSshMarker,
} from '../provider-account/record.js'
import {fallbacksOf, type Found, knownCaPem, type ProxmoxInitOutcome, type RunState, step} from './run-state.js'

export async function finish(
  context: InitContext,
  state: RunState,
  found: Found,
  remote: boolean,
): Promise<ProxmoxInitOutcome> {
  const {evidence, runId} = context
  const {inputs, io, paths} = state
  const runtime = found.runtime
  state.runtime = runtime
  const secret = state.madeSecret ?? state.known?.secret
  if (!secret)
    throw new HyopsError(ExitCode.Secrets, `no secret for the token ${inputs.tokenId} came back from ${inputs.host}`, {
      hint: 'run again with --force to rotate it',
    })
  const apiUrl = proxmoxUrl(runtime.apiIp, inputs.apiPort)
  const caPem = await knownCaPem(context, inputs, found.caPem)
  const check =
    state.checked?.secret === secret && state.checked.result.verified
      ? state.checked.result
      : await step(io, context, 'validate token', () =>
          validateProxmoxToken({
            apiUrl,
            caPem,
            node: runtime.node,
            ownCertificate: runtime.ownCertificate,
            privileges: {...privilegePromise(inputs), runtime},
            secret,
            storage: runtime.storageSnippets,
            tlsSkip: inputs.tlsSkip,
            tokenId: inputs.tokenId,
          }),
        )

  if (!state.madeSecret && state.known?.origin === 'credentials') {
    await step(io, context, 'restore secret to vault', () =>
      state.vault.update(vaultEntryFor(state.vault, inputs.tokenId, secret).changes),
    )
    io.note(`Put the secret of ${inputs.tokenId} from ${paths.credentials} back into the vault`)
  }

  const written = state.madeSecret || state.reused || state.known?.origin === 'credentials' ? [paths.vault] : []
  const sshPublicKey = await publicKeyText(inputs)
  const detectedHttpBindAddress = inputs.httpBindAddress
    ? undefined
    : await detectBindAddress(inputs.host, inputs.sshPort)
  const account = state.providerAccount
  const user = inputs.providerSshUser
  const providerAccount = account
    ? handoverOf(account)
    : user
      ? handoverFromMarker(state.previousMarker, user)
      : undefined
  if (user && !providerAccount)
    throw new HyopsError(ExitCode.Remote, `PROVIDER_SSH_USER=${user} is not on the nodes yet`, {
      hint: 'run without --no-remote so the account is made on every node',
      reason: 'account-needs-remote',
    })
  const tfvars = renderProxmoxTfvars(
    proxmoxTfvarsFrom({detectedHttpBindAddress, inputs, providerAccount, runtime, sshPublicKey, tokenSecret: secret}),
  )
  await step(io, context, 'write credentials', () => writeFileSafely(paths.credentials, tfvars, {mode: 0o600}))
  evidence.fileWritten(paths.credentials)
  written.push(paths.credentials)

  const permissions = check.verified && {
    ...check.verified,
    ...(found.role && {
      grant: found.role.grant,
      legacyRemoved: found.role.legacyRemoved,
      roleAction: found.role.action,
    }),
  }
  const warnings = [...runWarnings(runtime), ...(account ? accountWarnings(account) : [])]
  for (const warning of warnings) io.note(`Warning: ${warning.message}; fix: ${warning.fix}`)
  const reusedFrom = state.madeSecret ? undefined : state.reused?.envName
  const tokenAction = reusedFrom === undefined ? (state.tokenAction ?? 'kept') : 'reused'
  const marker = buildProxmoxMarker({
    paths: {config: paths.config, credentials: paths.credentials, evidenceDir: paths.evidenceDir, vault: paths.vault},
    permissions: permissions || undefined,
    providerSsh: account
      ? accountMarker(account)
      : providerAccount
        ? (state.previousMarker as {provider_ssh?: ProviderSshMarker}).provider_ssh
        : undefined,
    runId,
    runtime,
    sshPublicKey,
    status: 'ready',
    token: {action: tokenAction, fromEnv: reusedFrom, id: inputs.tokenId},
    warnings,
  })
  await step(io, context, 'write readiness marker', () => io.writeMarker(marker))
  written.push(paths.marker)
  await evidence.record({
    outcome: {
      api_url: apiUrl,
      permissions: marker.permissions ?? null,
      proxmox_version: check.version,
      remote,
      reused_from: reusedFrom ?? null,
      runtime: marker.runtime,
      token_action: tokenAction,
      warnings,
    },
  })
  const secretOrigin = reusedFrom === undefined ? state.known?.origin : `env:${reusedFrom}`
  return {
    apiUrl,
    inputs,
    paths,
    permissions: permissions || undefined,
    proxmoxVersion: check.version,
    remote,
    runtime,
    secretOrigin,
    status: 'ready',
    tokenAction,
    tokenId: inputs.tokenId,
    warnings,
    written,
  }
}

export async function publicKeyText(inputs: ProxmoxInputs): Promise<string | undefined> {
  const explicit = inputs.sshPublicKey?.trim()
  if (explicit && /^(ssh-|ecdsa-|sk-)/.test(explicit)) return explicit
  if (explicit) return (await readFile(explicit, 'utf8').catch(() => '')).trim() || undefined
  return readPublicKey(inputs.sshKey)
}

/**
 * The token changed on the host and the run failed after: the credentials an earlier run
 * wrote are dead, so an existing marker must not keep saying `ready`.
 */
export async function markNotReady(context: InitContext, state: RunState, error: unknown): Promise<void> {
  if (!state.previousMarker) return
  const reason =
    `token ${state.madeSecret ? 'rotated' : 'removed'} by run ${context.runId}, which then ` +
    `failed: ${error instanceof Error ? error.message : String(error)}`
  await writeNotReady(context, state, reason).catch(() => {})
  context.guard?.keep(`the marker ${state.paths.marker} says not_ready`)
}

/**
 * Write-ahead: before a rotation (which kills the credentials on disk the moment the host removes the old
 * token) an existing marker is rewritten as not ready, so that even a SIGKILL cannot leave it saying `ready`
 * over dead credentials. Only a completed run makes it `ready` again.
 */
export async function markRotating(context: InitContext, state: RunState): Promise<void> {
  if (!state.previousMarker) return
  state.markerBefore ??= await readFile(state.paths.marker).catch(() => undefined)
  await writeNotReady(
    context,
    state,
    `run ${context.runId} is rotating the token ${state.inputs.tokenId}; the credentials on disk stop working ` +
      'once the host removes it; not ready until a run completes',
  )
}

/**
 * A rotation whose script stopped on its own before the host removed anything (it said so: no TOKEN_REMOVED,
 * no secret) left the old credentials working: the marker gets back the bytes it had before the write-ahead.
 */
export async function undoMarkRotating(state: RunState): Promise<void> {
  if (state.markerBefore === undefined || state.tokenRemoved || state.madeSecret) return
  await writeFileSafely(state.paths.marker, state.markerBefore, {mode: 0o600}).catch(() => {})
}

async function writeNotReady(context: InitContext, state: RunState, reason: string): Promise<void> {
  const marker = buildProxmoxMarker({
    paths: {
      config: state.paths.config,
      credentials: state.paths.credentials,
      evidenceDir: state.paths.evidenceDir,
      vault: state.paths.vault,
    },
    reason: context.evidence.redactor.redact(reason),
    runId: context.runId,
    runtime: state.runtime ?? discoveryFromMarker(state.previousMarker, fallbacksOf(state.inputs)),
    status: 'not_ready',
    token: {action: state.tokenAction ?? 'rotated', id: state.inputs.tokenId},
  })
  await state.io.writeMarker(marker)
}
