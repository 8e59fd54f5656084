// A secret this env already knew (or a sibling env gave) is validated before anything is
// written; a stale one is healed from a sibling before the token is rotated.

import type {InitContext} from '../../command/init-command.js'
import {HyopsError} from '../../errors.js'
import {confirmRotateToken} from '../prompts.js'
import {validateProxmoxToken} from '../api/validation.js'
import {privilegePromise} from '../permissions/verify.js'
import {vaultEntryFor} from '../secret/known-secret.js'
import {proxmoxUrl} from '../api/url.js'
import {
  declinedReuseError,
  offerSiblingToken,
  reusedLine,
  reuseContext,
  type ReuseWhy,
  type SiblingOffer,
  staleSecretError,
} from '../token-reuse/flow.js'
import {bootstrapOnHost} from './remote.js'
import {type Found, knownCaPem, type ProxmoxInitOptions, type RunState, step} from './run-state.js'

/** A sibling's validated secret becomes this env's: into the vault at once, said in one line, recorded. */
export async function adoptReusedSecret(
  context: InitContext,
  state: RunState,
  offer: SiblingOffer,
  why: ReuseWhy,
): Promise<void> {
  const token = offer.accepted!
  await step(state.io, context, 'store reused secret in vault', () =>
    state.vault.update(vaultEntryFor(state.vault, state.inputs.tokenId, token.secret).changes),
  )
  context.evidence.fileWritten(state.paths.vault)
  state.reused = token
  state.known = {origin: 'vault', secret: token.secret}
  state.io.note(reusedLine(state.inputs, token, offer.host, why))
  await context.evidence.record({
    token_decision: {action: 'reused', from_env: token.envName, from_source: token.source, why},
  })
}

/**
 * A secret this run did not make is validated before anything is written. A 401 means it is
 * stale (the token was rotated elsewhere): a sibling env's working secret heals it; only then
 * is the token rotated, and only at a terminal after asking (without one: exit 21, --force).
 */
export async function checkKnownSecret(
  context: InitContext,
  state: RunState,
  found: Found,
  options: ProxmoxInitOptions,
): Promise<Found> {
  const {inputs, io, known} = state
  if (state.madeSecret || !known) return found
  const {runtime} = found
  const caPem = await knownCaPem(context, inputs, found.caPem)
  try {
    const result = await step(io, context, 'validate token', () =>
      validateProxmoxToken({
        apiUrl: proxmoxUrl(runtime.apiIp, inputs.apiPort),
        caPem,
        node: runtime.node,
        secret: known.secret,
        privileges: {...privilegePromise(inputs), runtime},
        storage: runtime.storageSnippets,
        tlsSkip: inputs.tlsSkip,
        tokenId: inputs.tokenId,
      }),
    )
    state.checked = {result, secret: known.secret}
    return found
  } catch (error) {
    if (!(error instanceof HyopsError) || error.reason !== 'token-rejected' || state.reused) throw error
  }

  const where = known.origin === 'vault' ? `the vault ${state.paths.vault}` : state.paths.credentials
  io.note(
    `Proxmox rejected the secret of ${inputs.tokenId} from ${where} (rotated elsewhere?); ` +
      `looking for a working one in the sibling envs`,
  )
  const offer = await offerSiblingToken({
    ...reuseContext(runtime),
    caPem,
    context,
    exclude: [known.secret],
    inputs,
    io,
    mayAsk: true,
    why: 'stale',
  })
  if (offer.declined) throw declinedReuseError(inputs, offer.declined.envName, offer.host)
  if (offer.accepted) {
    await adoptReusedSecret(context, state, offer, 'stale')
    state.checked = {
      result: offer.accepted.version === undefined ? {} : {version: offer.accepted.version},
      secret: offer.accepted.secret,
    }
    return found
  }

  const rotateHint =
    'pass --force to rotate the token (breaks its other users), or store its current secret ' +
    'with "hyops vault set PROXMOX_TOKEN_SECRET"'
  if (!context.interactive) throw staleSecretError(inputs, where, rotateHint)
  if (options.remote === false)
    throw staleSecretError(
      inputs,
      where,
      'drop --no-remote so that the token can be rotated on the host, or store its current ' +
        'secret with "hyops vault set PROXMOX_TOKEN_SECRET"',
    )
  if (!(await confirmRotateToken(inputs.tokenId))) throw staleSecretError(inputs, where, rotateHint)
  io.note(
    `Rotating ${inputs.tokenId} on ${inputs.host}: the secret from ${where} is stale and no ` +
      `sibling env holds a working one`,
  )
  await context.evidence.record({token_decision: {action: 'rotate', why: 'stale'}})
  await step(io, context, 'check vault password', () => state.vault.ensureWritable())
  return bootstrapOnHost(context, state, 'rotate', options)
}
