// The remote half of a run: the one SSH session, the bootstrap script, the token decision
// (rotate an existing token?), and the new secret put on disk at once.

import type {InitContext} from '../../command/init-command.js'
import {ExitCode, HyopsError} from '../../errors.js'
import {writeFileSafely} from '../../runtime/safe-write.js'
import type {SshSession} from '../../ssh/connection.js'
import {confirmRotateToken} from '../../ux/prompts.js'
import {preloadProxmoxValidation} from './validation.js'
import {runRemoteBootstrap} from '../bootstrap/run.js'
import {clusterCaFile} from '../bootstrap/cluster-ca.js'
import {openHostSession} from '../bootstrap/host-session.js'
import {vaultEntryFor} from './known-secret.js'
import {markRotating, undoMarkRotating} from './outputs.js'
import {proxmoxTfvarsFrom, renderProxmoxTfvars} from '../outputs/tfvars.js'
import type {ProxmoxInputs, RuntimeDiscovery, TokenMode} from '../types.js'
import {type Found, noRemoteDiscovery, type ProxmoxInitOptions, type RunState} from './run-state.js'
import {offerSnippets} from './snippets-step.js'
import {accountMarker, accountNote} from '../provider-account/record.js'
import {setUpProviderAccount} from '../provider-account/setup.js'

export async function bootstrapOnHost(
  context: InitContext,
  state: RunState,
  tokenMode: TokenMode,
  options: ProxmoxInitOptions,
): Promise<Found> {
  const {evidence, layout} = context
  const {inputs, io} = state
  const wantCa = !inputs.tlsSkip && inputs.tlsCaFile === undefined
  const hops = (options.ssh?.jumps ?? []).map((hop) => `${hop.username}@${hop.host}:${hop.port}`)
  const via = hops.length > 0 ? ` via ${hops.join(', ')}` : ''
  const target = `${inputs.sshUsername}@${inputs.host}:${inputs.sshPort}${via}`
  await evidence.record({
    ssh: {
      alias: options.ssh?.alias ?? null,
      config: options.ssh?.configPath ?? null,
      jumps: hops,
      sudo: !!inputs.sshSudo,
    },
  })
  const session: SshSession = await io.step(`connect ${target}`, () =>
    evidence.step('ssh connect', () =>
      openHostSession({
        hostKeyPolicy: options.hostKeyPolicy,
        inputs,
        interactive: context.interactive,
        knownHostsFile: layout.knownHostsFile,
        note: io.note,
        route: options.ssh,
      }),
    ),
  )
  // The host works for a while now: load the HTTP client for the validation meanwhile.
  preloadProxmoxValidation()
  const stop = new AbortController()
  const unStop = context.guard?.onStop(() => stop.abort())
  try {
    const keepSecret = async (secret: string) => {
      evidence.redactor.addSecret(secret)
      state.madeSecret = secret
      const where = await (context.guard?.critical(keepNewSecret(state, secret)) ?? keepNewSecret(state, secret))
      context.guard?.keep(`the new secret of ${inputs.tokenId} is in ${where}`)
    }

    const run = async (mode: TokenMode) => {
      if (mode === 'rotate') await markRotating(context, state)
      const found = await io
        .step('bootstrap Proxmox', () =>
          evidence.step(`remote bootstrap (token ${mode})`, () =>
            runRemoteBootstrap(session, {
              inputs,
              onTokenRemoved: () => void (state.tokenRemoved = true),
              onTokenSecret: keepSecret,
              snippetsStorage: typeof options.enableSnippets === 'string' ? options.enableSnippets : undefined,
              stop: stop.signal,
              tokenMode: mode,
              wantCa,
            }),
          ),
        )
        .catch(async (error: unknown) => {
          // Only a script that ended and said what it did proves the old token is still there.
          if (error instanceof HyopsError && error.reason === 'script-failed') await undoMarkRotating(state)
          throw error
        })
      if (state.keepError !== undefined) throw state.keepError
      return found
    }

    let discovery: RuntimeDiscovery = await run(tokenMode)
    if (tokenMode === 'create' && discovery.tokenExisted && !discovery.tokenSecret) {
      const rotate = context.interactive && (await confirmRotateToken(inputs.tokenId))
      if (!rotate) {
        throw new HyopsError(
          ExitCode.Secrets,
          `the token ${inputs.tokenId} exists on ${inputs.host}, but its secret is not in the vault ` +
            `${state.paths.vault}`,
          {
            hint:
              'pass --force to rotate it (breaks its current users), or store its secret with "hyops ' +
              'vault set PROXMOX_TOKEN_SECRET"',
            reason: 'token-exists',
          },
        )
      }

      discovery = await run('rotate')
    }

    state.tokenAction = discovery.tokenSecret ? (discovery.tokenExisted ? 'rotated' : 'created') : 'kept'
    const caPem = discovery.caPem
    if (caPem) {
      const caFile = clusterCaFile(layout)
      await writeFileSafely(caFile, caPem, {mode: 0o644})
      evidence.fileWritten(caFile)
    }

    const runtime = await offerSnippets(context, state, session, discovery, options)
    if (inputs.providerSshUser) {
      state.providerAccount = await setUpProviderAccount({
        account: inputs.providerSshUser,
        idmap: inputs.providerSshIdmap ?? false,
        inputs,
        layout,
        members: runtime.clusterNodes,
        node: runtime.node,
        replaceKey: context.flags.force,
        route: options.ssh,
        secret: (text) => evidence.redactor.addSecret(text),
        session,
        step: (label, run) => io.step(label, () => evidence.step(label, run)),
        vault: state.vault,
      })
      await evidence.record({provider_ssh: accountMarker(state.providerAccount)})
      io.note(accountNote(state.providerAccount))
    }

    return {caPem, role: discovery.role, runtime}
  } finally {
    unStop?.()
    session.dispose()
  }
}

/**
 * A secret the host just made goes to the vault at once (with the token id it belongs to). If the vault
 * cannot take it, it goes to the 0600 credentials file instead (still on disk): the vault's error is kept in
 * `state.keepError` and thrown once the bootstrap is over. Resolves with where the secret is; rejects only
 * when neither place took it.
 */
export async function keepNewSecret(state: RunState, secret: string): Promise<string> {
  try {
    const entry = vaultEntryFor(state.vault, state.inputs.tokenId, secret, state.tokenRemoved)
    await state.vault.update(entry.changes)
    if (entry.previous) state.io.note(`Kept ${entry.previous} in the vault ${state.paths.vault}`)
    return `the vault ${state.paths.vault}`
  } catch (error) {
    const partial = renderProxmoxTfvars({...emptyTfvars(state.inputs), proxmox_token_secret: secret})
    try {
      await writeFileSafely(state.paths.credentials, partial, {mode: 0o600})
    } catch {
      throw error
    }

    state.keepError = error
    return state.paths.credentials
  }
}

export function emptyTfvars(inputs: ProxmoxInputs) {
  return proxmoxTfvarsFrom({
    inputs,
    runtime: noRemoteDiscovery(inputs, undefined).runtime,
    tokenSecret: '',
  })
}
