import type {InitContext} from '../../command/init-command.js'
import {secretsError, usageError} from '../../errors.js'
import {readMarker} from '../../readiness/marker.js'
import {describeProxmoxInputs} from '../config/resolve.js'
import {findKnownSecret, TOKEN_ID_KEY, TOKEN_SECRET_KEY, vaultSecretIsFor} from './known-secret.js'
import {discoveryFromMarker} from '../outputs/marker.js'
import {declinedReuseError, offerSiblingToken, reuseContext} from '../token-reuse/flow.js'
import type {ProxmoxInputs, TokenMode} from '../types.js'
import {dryRun} from './dry-run.js'
import {adoptReusedSecret, checkKnownSecret} from './secret-check.js'
import {finish, markNotReady} from './outputs.js'
import {bootstrapOnHost} from './remote.js'
import {withApiAddress} from '../host/api-address.js'
import {handoverFromMarker} from '../provider-account/record.js'
import {
  fallbacksOf,
  knownCaPem,
  noRemoteDiscovery,
  type ProxmoxInitIo,
  type ProxmoxInitOptions,
  type ProxmoxInitOutcome,
  type RunState,
  step,
} from './run-state.js'

export type {ProxmoxInitIo, ProxmoxInitOptions, ProxmoxInitOutcome} from './run-state.js'

/**
 * `hyops init proxmox` after its inputs are resolved: secret, remote bootstrap, validation,
 * then the writes in the order that loses nothing (vault, credentials, marker).
 */
export async function runProxmoxInit(
  context: InitContext,
  inputs: ProxmoxInputs,
  options: ProxmoxInitOptions,
  io: ProxmoxInitIo,
): Promise<ProxmoxInitOutcome> {
  const {evidence, flags, layout} = context
  const paths = {
    config: context.configFile,
    credentials: layout.credentialsFile('proxmox'),
    evidenceDir: evidence.dir,
    marker: layout.markerFile('proxmox'),
    vault: context.vaultFile,
  }
  await evidence.record({proxmox: {inputs: describeProxmoxInputs(inputs), sources: inputs.sources}})

  const previousMarker = await readMarker(layout, 'proxmox')
  const vault = await step(io, context, 'open vault', () => io.loadVault())
  let known = flags.force ? undefined : await findKnownSecret(vault, paths.credentials, inputs.tokenId)
  evidence.redactor.addSecret(known?.secret)
  const markerRuntime = previousMarker ? discoveryFromMarker(previousMarker, fallbacksOf(inputs)) : undefined
  // The annex: no secret here and no --force → a sibling env's working secret is reused (asked at a terminal).
  const offer =
    known || flags.force
      ? undefined
      : await offerSiblingToken({
          ...reuseContext(markerRuntime),
          caPem: await knownCaPem(context, inputs),
          context,
          inputs,
          io,
          mayAsk: !flags['dry-run'],
          why: 'missing',
        })
  if (offer?.declined) throw declinedReuseError(inputs, offer.declined.envName, offer.host)
  if (offer?.accepted) known = {origin: 'vault', secret: offer.accepted.secret}
  if (!known && !flags.force && flags['non-interactive']) {
    const siblings = offer && offer.scan.envs > 0 ? `, no sibling env in ${offer.scan.envsDir} holds a working one` : ''
    const otherId = vaultSecretIsFor(vault, inputs.tokenId)
    const what = otherId
      ? `the ${TOKEN_SECRET_KEY} in the vault ${paths.vault} is for ${otherId} (${TOKEN_ID_KEY}), not ${inputs.tokenId}`
      : `${TOKEN_SECRET_KEY} is not in the vault ${paths.vault}`
    throw secretsError(
      `${what}${siblings}, and --non-interactive forbids making a token`,
      'seed it with "hyops vault set PROXMOX_TOKEN_SECRET", or pass --force to rotate the token',
    )
  }

  const tokenMode: TokenMode = flags.force ? 'rotate' : known ? 'keep' : 'create'
  const remote = decideRemote(
    options,
    tokenMode,
    flags['non-interactive'],
    previousMarker?.status === 'ready' &&
      markerRuntime !== undefined &&
      // A provider account the marker does not record for this PROVIDER_SSH_USER needs the nodes.
      (!inputs.providerSshUser || handoverFromMarker(previousMarker, inputs.providerSshUser) !== undefined),
  )
  await evidence.record({
    decisions: {
      remote,
      reused_from: offer?.accepted?.envName ?? null,
      secret_origin: offer?.accepted ? 'sibling' : (known?.origin ?? null),
      token_mode: tokenMode,
    },
  })

  if (flags['dry-run']) return dryRun(inputs, {known, paths, remote, reusedFrom: offer?.accepted?.envName, tokenMode})
  if (tokenMode !== 'keep') await step(io, context, 'check vault password', () => vault.ensureWritable())

  const state: RunState = {inputs, io, known, paths, previousMarker, vault}
  // On a signal, once the secret writes have settled: a run that changed the token leaves the marker not ready.
  context.guard?.onInterrupt(async (signal) => {
    if (state.madeSecret || state.tokenRemoved)
      await markNotReady(context, state, new Error(`interrupted by ${signal}`))
  })
  if (offer?.accepted) await adoptReusedSecret(context, state, offer, 'missing')
  try {
    const discovered = remote
      ? await bootstrapOnHost(context, state, tokenMode, options)
      : noRemoteDiscovery(inputs, markerRuntime)
    const {choice, found} = await withApiAddress(
      discovered,
      inputs,
      await knownCaPem(context, inputs, discovered.caPem),
    )
    await evidence.record({api_address: choice})
    return await finish(context, state, await checkKnownSecret(context, state, found, options), remote)
  } catch (error) {
    if (state.madeSecret || state.tokenRemoved) await markNotReady(context, state, error)
    throw error
  }
}

function decideRemote(
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
