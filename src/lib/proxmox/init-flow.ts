import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {InitContext} from '../command/init-command.js'
import {ExitCode, HyopsError, secretsError, usageError} from '../errors.js'
import {type ReadinessMarker, readMarker} from '../readiness/marker.js'
import {writeFileSafely} from '../runtime/safe-write.js'
import type {SshSession} from '../ssh/connection.js'
import {readPublicKey} from '../ssh/keygen.js'
import type {HostKeyPolicy} from '../ssh/known-hosts.js'
import {confirmRotateToken} from '../ux/prompts.js'
import type {LoadedVault} from '../vault/vault-access.js'
import {preloadProxmoxValidation, type ProxmoxTokenCheckResult, validateProxmoxToken} from './api-validation.js'
import {runRemoteBootstrap} from './bootstrap.js'
import {describeProxmoxInputs, readTlsCaFile} from './config.js'
import {openHostSession} from './host-session.js'
import {detectBindAddress} from './http-bind.js'
import {findKnownSecret, TOKEN_SECRET_KEY, type KnownSecret} from './known-secret.js'
import {buildProxmoxMarker, discoveryFromMarker, type MarkerDiscovery, type TokenAction} from './marker.js'
import {proxmoxTfvarsFrom, proxmoxUrl, renderProxmoxTfvars} from './tfvars.js'
import {declinedReuseError, offerSiblingToken, reusedLine, reuseContext, type ReuseWhy, type SiblingOffer, staleSecretError} from './token-reuse-flow.js'
import type {ReusableToken} from './token-reuse.js'
import type {ProxmoxInputs, RuntimeDiscovery, TokenMode} from './types.js'

export interface ProxmoxInitOptions {
  /** `--bootstrap`: run the remote bootstrap even when a re-run could do without it. */
  bootstrap: boolean
  /** `--remote` / `--no-remote`; undefined lets the run decide. */
  remote?: boolean
  hostKeyPolicy: HostKeyPolicy
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
}

/**
 * `hyops init proxmox` after its inputs are resolved: secret, remote bootstrap, validation,
 * then the writes in the order that loses nothing (vault, credentials, marker).
 */
export async function runProxmoxInit(context: InitContext, inputs: ProxmoxInputs, options: ProxmoxInitOptions, io: ProxmoxInitIo): Promise<ProxmoxInitOutcome> {
  const {evidence, flags, layout} = context
  const paths = {
    config: context.configFile,
    credentials: layout.credentialsFile('proxmox'),
    evidenceDir: evidence.dir,
    marker: layout.markerFile('proxmox'),
    vault: context.vaultFile,
  }
  const step = <T>(label: string, run: () => Promise<T>) => io.step(label, () => evidence.step(label, run))
  await evidence.record({proxmox: {inputs: describeProxmoxInputs(inputs), sources: inputs.sources}})

  const previousMarker = await readMarker(layout, 'proxmox')
  const vault = await step('open vault', () => io.loadVault())
  let known = flags.force ? undefined : await findKnownSecret(vault, paths.credentials, inputs.tokenId)
  evidence.redactor.addSecret(known?.secret)
  const markerRuntime = previousMarker ? discoveryFromMarker(previousMarker, fallbacksOf(inputs)) : undefined
  // The annex: no secret here and no --force → a sibling env's working secret is reused (asked at a terminal).
  const offer = known || flags.force ? undefined : await offerSiblingToken({...reuseContext(markerRuntime), caPem: await knownCaPem(context, inputs), context, inputs, io, mayAsk: !flags['dry-run'], why: 'missing'})
  if (offer?.declined) throw declinedReuseError(inputs, offer.declined.envName, offer.host)
  if (offer?.accepted) known = {origin: 'vault', secret: offer.accepted.secret}
  if (!known && !flags.force && flags['non-interactive']) {
    const siblings = offer && offer.scan.envs > 0 ? `, no sibling env in ${offer.scan.envsDir} holds a working one` : ''
    throw secretsError(`${TOKEN_SECRET_KEY} is not in the vault ${paths.vault}${siblings}, and --non-interactive forbids making a token`, 'seed it with "hyops vault set PROXMOX_TOKEN_SECRET", or pass --force to rotate the token')
  }

  const tokenMode: TokenMode = flags.force ? 'rotate' : known ? 'keep' : 'create'
  const remote = decideRemote(options, tokenMode, flags['non-interactive'], previousMarker?.status === 'ready' && markerRuntime !== undefined)
  await evidence.record({decisions: {remote, reused_from: offer?.accepted?.envName ?? null, secret_origin: offer?.accepted ? 'sibling' : (known?.origin ?? null), token_mode: tokenMode}})

  if (flags['dry-run']) return dryRun(context, inputs, {known, paths, remote, reusedFrom: offer?.accepted?.envName, tokenMode})
  if (tokenMode !== 'keep') await step('check vault password', () => vault.ensureWritable())

  const state: RunState = {inputs, io, known, paths, previousMarker, vault}
  if (offer?.accepted) await adoptReusedSecret(context, state, offer, 'missing')
  try {
    const found = remote ? await bootstrapOnHost(context, state, tokenMode, options) : noRemoteDiscovery(inputs, markerRuntime)
    return await finish(context, state, await checkKnownSecret(context, state, found, options), remote)
  } catch (error) {
    if (state.madeSecret || state.tokenRemoved) await markNotReady(context, state, error)
    throw error
  }
}

interface RunState {
  inputs: ProxmoxInputs
  io: ProxmoxInitIo
  known?: KnownSecret
  paths: ProxmoxInitOutcome['paths']
  previousMarker?: ReadinessMarker
  vault: LoadedVault
  /** Set as soon as the host hands over a new secret. */
  madeSecret?: string
  /** Set when a rotation removed the old token on the host (its secret is dead), even if no new one came. */
  tokenRemoved?: boolean
  tokenAction?: TokenAction
  runtime?: MarkerDiscovery
  /** The sibling env whose secret this run took (already in this env's vault). */
  reused?: ReusableToken
  /** A secret already validated against the runtime this run found (not validated twice). */
  checked?: {secret: string; result: ProxmoxTokenCheckResult}
}

function decideRemote(options: ProxmoxInitOptions, tokenMode: TokenMode, nonInteractive: boolean, readyMarker: boolean): boolean {
  if (options.remote === false) {
    if (options.bootstrap) throw usageError('--bootstrap and --no-remote contradict each other', 'pass one of them')
    if (tokenMode !== 'keep') {
      throw secretsError(`--no-remote needs a known token secret, but ${tokenMode === 'rotate' ? '--force rotates the token on the host' : `${TOKEN_SECRET_KEY} is not in the vault`}`, 'drop --no-remote, or seed the secret with "hyops vault set PROXMOX_TOKEN_SECRET"')
    }

    return false
  }

  if (options.remote === true || options.bootstrap || tokenMode !== 'keep') return true
  // CI often cannot reach the host's SSH port: a non-interactive re-run with a known secret
  // and a ready marker has everything the bootstrap would return.
  return !(nonInteractive && readyMarker)
}

function fallbacksOf(inputs: ProxmoxInputs) {
  return {apiIp: inputs.host, bridge: inputs.fallbackBridge, storageIso: inputs.fallbackStorageIso, storageSnippets: inputs.fallbackStorageSnippets, storageVm: inputs.fallbackStorageVm}
}

function noRemoteDiscovery(inputs: ProxmoxInputs, fromMarker: MarkerDiscovery | undefined): Found {
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

interface Found {
  runtime: MarkerDiscovery
  caPem?: string
}

async function bootstrapOnHost(context: InitContext, state: RunState, tokenMode: TokenMode, options: ProxmoxInitOptions): Promise<Found> {
  const {evidence, layout} = context
  const {inputs, io} = state
  const wantCa = !inputs.tlsSkip && inputs.tlsCaFile === undefined
  const target = `${inputs.sshUsername}@${inputs.host}:${inputs.sshPort}`
  const session: SshSession = await io.step(`connect ${target}`, () =>
    evidence.step('ssh connect', () => openHostSession({hostKeyPolicy: options.hostKeyPolicy, inputs, interactive: context.interactive, knownHostsFile: layout.knownHostsFile, note: io.note})),
  )
  // The host works for a while now: load the HTTP client for the validation meanwhile.
  preloadProxmoxValidation()
  try {
    const keepSecret = async (secret: string) => {
      evidence.redactor.addSecret(secret)
      state.madeSecret = secret
      await keepNewSecret(state, secret)
    }

    const run = (mode: TokenMode) => io.step('bootstrap Proxmox', () => evidence.step(`remote bootstrap (token ${mode})`, () => runRemoteBootstrap(session, {inputs, onTokenRemoved: () => void (state.tokenRemoved = true), onTokenSecret: keepSecret, tokenMode: mode, wantCa})))
    let discovery: RuntimeDiscovery = await run(tokenMode)
    if (tokenMode === 'create' && discovery.tokenExisted && !discovery.tokenSecret) {
      const rotate = context.interactive && (await confirmRotateToken(inputs.tokenId))
      if (!rotate) {
        throw new HyopsError(ExitCode.Secrets, `the token ${inputs.tokenId} exists on ${inputs.host}, but its secret is not in the vault ${state.paths.vault}`, {
          hint: 'pass --force to rotate it (breaks its current users), or store its secret with "hyops vault set PROXMOX_TOKEN_SECRET"',
          reason: 'token-exists',
        })
      }

      discovery = await run('rotate')
    }

    state.tokenAction = discovery.tokenSecret ? (discovery.tokenExisted ? 'rotated' : 'created') : 'kept'
    const caPem = discovery.caPem
    if (caPem) {
      const caFile = join(layout.dir('state'), 'proxmox-ca.pem')
      await writeFileSafely(caFile, caPem, {mode: 0o644})
      evidence.fileWritten(caFile)
    }

    return {caPem, runtime: discovery}
  } finally {
    session.dispose()
  }
}

/**
 * A secret the host just made goes to the vault at once. If the vault cannot take it, it
 * goes to the 0600 credentials file instead (still on disk), and the vault's error stands.
 */
async function keepNewSecret(state: RunState, secret: string): Promise<void> {
  try {
    await state.vault.update({[TOKEN_SECRET_KEY]: secret})
  } catch (error) {
    const partial = renderProxmoxTfvars({...emptyTfvars(state.inputs), proxmox_token_secret: secret})
    await writeFileSafely(state.paths.credentials, partial, {mode: 0o600}).catch(() => {})
    throw error
  }
}

function emptyTfvars(inputs: ProxmoxInputs) {
  return proxmoxTfvarsFrom({
    inputs,
    runtime: noRemoteDiscovery(inputs, undefined).runtime,
    tokenSecret: '',
  })
}

async function finish(context: InitContext, state: RunState, found: Found, remote: boolean): Promise<ProxmoxInitOutcome> {
  const {evidence, runId} = context
  const {inputs, io, paths} = state
  const runtime = found.runtime
  state.runtime = runtime
  const secret = state.madeSecret ?? state.known?.secret
  if (!secret) throw new HyopsError(ExitCode.Secrets, `no secret for the token ${inputs.tokenId} came back from ${inputs.host}`, {hint: 'run again with --force to rotate it'})
  const apiUrl = proxmoxUrl(runtime.apiIp, inputs.apiPort)
  const caPem = await knownCaPem(context, inputs, found.caPem)
  const check =
    state.checked?.secret === secret
      ? state.checked.result
      : await step(io, context, 'validate token', () =>
          validateProxmoxToken({apiUrl, caPem, node: runtime.node, secret, storage: runtime.storageSnippets, tlsSkip: inputs.tlsSkip, tokenId: inputs.tokenId}),
        )

  if (!state.madeSecret && state.known?.origin === 'credentials') {
    await step(io, context, 'restore secret to vault', () => state.vault.update({[TOKEN_SECRET_KEY]: secret}))
    io.note(`Put the secret of ${inputs.tokenId} from ${paths.credentials} back into the vault`)
  }

  const written = state.madeSecret || state.reused || state.known?.origin === 'credentials' ? [paths.vault] : []
  const sshPublicKey = await publicKeyText(inputs)
  const detectedHttpBindAddress = inputs.httpBindAddress ? undefined : await detectBindAddress(inputs.host, inputs.sshPort)
  const tfvars = renderProxmoxTfvars(proxmoxTfvarsFrom({detectedHttpBindAddress, inputs, runtime, sshPublicKey, tokenSecret: secret}))
  await step(io, context, 'write credentials', () => writeFileSafely(paths.credentials, tfvars, {mode: 0o600}))
  evidence.fileWritten(paths.credentials)
  written.push(paths.credentials)

  const reusedFrom = state.madeSecret ? undefined : state.reused?.envName
  const tokenAction = reusedFrom === undefined ? (state.tokenAction ?? 'kept') : 'reused'
  const marker = buildProxmoxMarker({
    paths: {config: paths.config, credentials: paths.credentials, evidenceDir: paths.evidenceDir, vault: paths.vault},
    runId,
    runtime,
    sshPublicKey,
    status: 'ready',
    token: {action: tokenAction, fromEnv: reusedFrom, id: inputs.tokenId},
  })
  await step(io, context, 'write readiness marker', () => io.writeMarker(marker))
  written.push(paths.marker)
  await evidence.record({outcome: {api_url: apiUrl, proxmox_version: check.version, remote, reused_from: reusedFrom ?? null, runtime: marker.runtime, token_action: tokenAction}})
  const secretOrigin = reusedFrom === undefined ? state.known?.origin : `env:${reusedFrom}`
  return {apiUrl, inputs, paths, proxmoxVersion: check.version, remote, runtime, secretOrigin, status: 'ready', tokenAction, tokenId: inputs.tokenId, written}
}

function step<T>(io: ProxmoxInitIo, context: InitContext, label: string, run: () => Promise<T>): Promise<T> {
  return io.step(label, () => context.evidence.step(label, run))
}

async function savedClusterCa(context: InitContext): Promise<string | undefined> {
  return readFile(join(context.layout.dir('state'), 'proxmox-ca.pem'), 'utf8').catch(() => undefined)
}

/** The CA validation verifies against: none with TLS_SKIP, TLS_CA_FILE, the one the host just gave, or the saved cluster CA. */
async function knownCaPem(context: InitContext, inputs: ProxmoxInputs, fromHost?: string): Promise<string | undefined> {
  if (inputs.tlsSkip) return undefined
  return inputs.tlsCaFile ? readTlsCaFile(inputs.tlsCaFile) : (fromHost ?? (await savedClusterCa(context)))
}

/** A sibling's validated secret becomes this env's: into the vault at once, said in one line, recorded. */
async function adoptReusedSecret(context: InitContext, state: RunState, offer: SiblingOffer, why: ReuseWhy): Promise<void> {
  const token = offer.accepted!
  await step(state.io, context, 'store reused secret in vault', () => state.vault.update({[TOKEN_SECRET_KEY]: token.secret}))
  context.evidence.fileWritten(state.paths.vault)
  state.reused = token
  state.known = {origin: 'vault', secret: token.secret}
  state.io.note(reusedLine(state.inputs, token, offer.host, why))
  await context.evidence.record({token_decision: {action: 'reused', from_env: token.envName, from_source: token.source, why}})
}

/**
 * A secret this run did not make is validated before anything is written. A 401 means it is
 * stale (the token was rotated elsewhere): a sibling env's working secret heals it; only then
 * is the token rotated, and only at a terminal after asking (without one: exit 21, --force).
 */
async function checkKnownSecret(context: InitContext, state: RunState, found: Found, options: ProxmoxInitOptions): Promise<Found> {
  const {inputs, io, known} = state
  if (state.madeSecret || !known) return found
  const {runtime} = found
  const caPem = await knownCaPem(context, inputs, found.caPem)
  try {
    const result = await step(io, context, 'validate token', () =>
      validateProxmoxToken({apiUrl: proxmoxUrl(runtime.apiIp, inputs.apiPort), caPem, node: runtime.node, secret: known.secret, storage: runtime.storageSnippets, tlsSkip: inputs.tlsSkip, tokenId: inputs.tokenId}),
    )
    state.checked = {result, secret: known.secret}
    return found
  } catch (error) {
    if (!(error instanceof HyopsError) || error.reason !== 'token-rejected' || state.reused) throw error
  }

  const where = known.origin === 'vault' ? `the vault ${state.paths.vault}` : state.paths.credentials
  io.note(`Proxmox rejected the secret of ${inputs.tokenId} from ${where} (rotated elsewhere?); looking for a working one in the sibling envs`)
  const offer = await offerSiblingToken({...reuseContext(runtime), caPem, context, exclude: [known.secret], inputs, io, mayAsk: true, why: 'stale'})
  if (offer.declined) throw declinedReuseError(inputs, offer.declined.envName, offer.host)
  if (offer.accepted) {
    await adoptReusedSecret(context, state, offer, 'stale')
    state.checked = {result: offer.accepted.version === undefined ? {} : {version: offer.accepted.version}, secret: offer.accepted.secret}
    return found
  }

  if (!context.interactive) throw staleSecretError(inputs, where, 'pass --force to rotate the token (breaks its other users), or store its current secret with "hyops vault set PROXMOX_TOKEN_SECRET"')
  if (options.remote === false) throw staleSecretError(inputs, where, 'drop --no-remote so that the token can be rotated on the host, or store its current secret with "hyops vault set PROXMOX_TOKEN_SECRET"')
  if (!(await confirmRotateToken(inputs.tokenId))) throw staleSecretError(inputs, where, 'pass --force to rotate the token (breaks its other users), or store its current secret with "hyops vault set PROXMOX_TOKEN_SECRET"')
  io.note(`Rotating ${inputs.tokenId} on ${inputs.host}: the secret from ${where} is stale and no sibling env holds a working one`)
  await context.evidence.record({token_decision: {action: 'rotate', why: 'stale'}})
  await step(io, context, 'check vault password', () => state.vault.ensureWritable())
  return bootstrapOnHost(context, state, 'rotate', options)
}

async function publicKeyText(inputs: ProxmoxInputs): Promise<string | undefined> {
  const explicit = inputs.sshPublicKey?.trim()
  if (explicit && /^(ssh-|ecdsa-|sk-)/.test(explicit)) return explicit
  if (explicit) return (await readFile(explicit, 'utf8').catch(() => '')).trim() || undefined
  return readPublicKey(inputs.sshKey)
}

/**
 * The token changed on the host and the run failed after: the credentials an earlier run
 * wrote are dead, so an existing marker must not keep saying `ready`.
 */
async function markNotReady(context: InitContext, state: RunState, error: unknown): Promise<void> {
  if (!state.previousMarker) return
  const reason = `token ${state.madeSecret ? 'rotated' : 'removed'} by run ${context.runId}, which then failed: ${error instanceof Error ? error.message : String(error)}`
  const marker = buildProxmoxMarker({
    paths: {config: state.paths.config, credentials: state.paths.credentials, evidenceDir: state.paths.evidenceDir, vault: state.paths.vault},
    reason: context.evidence.redactor.redact(reason),
    runId: context.runId,
    runtime: state.runtime ?? discoveryFromMarker(state.previousMarker, fallbacksOf(state.inputs)),
    status: 'not_ready',
    token: {action: state.tokenAction ?? 'rotated', id: state.inputs.tokenId},
  })
  await state.io.writeMarker(marker).catch(() => {})
}

function dryRun(context: InitContext, inputs: ProxmoxInputs, facts: {known?: KnownSecret; paths: ProxmoxInitOutcome['paths']; remote: boolean; reusedFrom?: string; tokenMode: TokenMode}): ProxmoxInitOutcome {
  const {paths} = facts
  const plan = [
    ...(facts.reusedFrom === undefined ? [] : [`reuse the working secret of ${inputs.tokenId} from the env "${facts.reusedFrom}" (validated) and store it in ${paths.vault}`]),
    facts.remote
      ? `connect to ${inputs.sshUsername}@${inputs.host}:${inputs.sshPort} and run the bootstrap: ensure ${inputs.userFq}, ${facts.tokenMode === 'rotate' ? `rotate ${inputs.tokenId}` : facts.tokenMode === 'create' ? `create ${inputs.tokenId} if missing` : `keep ${inputs.tokenId}`}, grant ACLs, discover node, storages and bridge`
      : 'skip the remote bootstrap (values from the readiness marker or the fallbacks)',
    `validate the token against https://<api ip>:${inputs.apiPort}/api2/json (TLS ${inputs.tlsSkip ? 'not verified' : 'verified'})`,
    ...(facts.tokenMode === 'keep' ? [] : [`store the new secret in ${paths.vault}`]),
    ...(facts.known?.origin === 'credentials' ? [`put the secret from ${paths.credentials} back into ${paths.vault}`] : []),
    `write ${paths.credentials} (mode 0600)`,
    `write ${paths.marker}`,
  ]
  const tokenAction = facts.tokenMode === 'rotate' ? 'would-rotate' : facts.tokenMode === 'create' ? 'would-create' : 'would-keep'
  void context
  const secretOrigin = facts.reusedFrom === undefined ? facts.known?.origin : `env:${facts.reusedFrom}`
  return {inputs, paths, plan, remote: facts.remote, secretOrigin, status: 'dry-run', tokenAction, tokenId: inputs.tokenId, written: []}
}
