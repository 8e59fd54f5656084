// The snippets step of a run: with --enable-snippets, or a yes at the terminal (default no),
// when no storage has snippets, add them on the host over the open session; the evidence
// records the change.

import type {InitContext} from '../../command/init-command.js'
import type {SshSession} from '../../ssh/connection.js'
import {askConfirm} from '../../ux/prompts.js'
import {enableSnippets, snippetsTarget} from '../host/snippets.js'
import type {MarkerDiscovery} from '../types.js'
import type {ProxmoxInitOptions, RunState} from './run-state.js'
import {step} from './run-state.js'

export async function offerSnippets<R extends MarkerDiscovery>(
  context: InitContext,
  state: RunState,
  session: SshSession,
  runtime: R,
  options: ProxmoxInitOptions,
): Promise<R> {
  if (runtime.storageSnippetsSource === 'detected') return runtime
  let wanted = options.enableSnippets
  if (wanted === undefined && context.interactive && runtime.snippetsCandidate) {
    const candidate = runtime.snippetsCandidate
    const yes = await askConfirm(
      `No storage of node ${runtime.node} has the snippets content type (cloud-init snippets). ` +
        `Add it to "${candidate}" (pvesm set ${candidate} --content ...,snippets)?`,
      false,
    )
    if (yes) wanted = true
  }

  if (wanted === undefined) return runtime
  const target = snippetsTarget(runtime, wanted)
  const {change, runtime: changed} = await step(state.io, context, `enable snippets on ${target}`, () =>
    enableSnippets(session, runtime, target, state.inputs),
  )
  await context.evidence.record({snippets_enabled: change})
  return {...runtime, ...changed}
}
