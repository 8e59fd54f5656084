// Taking the provider account off every node (`hyops revoke`): the account and its sudoers drop-in, on the run's
// own node first, then on each other node reached as in the account step.
import type {SshSession} from '../../ssh/connection.js'
import {reachCluster, type ReachRequest} from './reach.js'
import {accountScriptError, runAccountScript} from './script.js'

export interface AccountRemovalRequest extends ReachRequest {
  account: string
  /** A root session (or a sudo one, PROXMOX_SSH_SUDO) on `node`. */
  session: SshSession
  step: <T>(label: string, run: () => Promise<T>) => Promise<T>
}

/** What was taken off one node: `account`, `sudoers`, both or nothing (it had neither). */
export interface AccountRemoval {
  name: string
  removed: string[]
}

/** Removes the account and its drop-in on every node; a node it fails on is exit 20 naming it. */
export async function removeProviderAccount(request: AccountRemovalRequest): Promise<AccountRemoval[]> {
  const {account, inputs, step} = request
  const script = {account, hostKeys: true, mode: 'remove' as const, sudo: inputs.sshSudo}
  const local = await step(`remove the provider account on ${request.node}`, () =>
    runAccountScript(request.session, script),
  )
  if (local.code !== 0) throw accountScriptError(request.node, 'remove', local)
  const reach = await reachCluster(request, local.exports.CLUSTER_KNOWN_HOSTS_B64)
  const words = (text: string | undefined) => (text ?? '').split(/\s+/).filter(Boolean)
  const results: AccountRemoval[] = [{name: request.node, removed: words(local.exports.REMOVED)}]
  for (const node of reach.nodes.slice(1)) {
    const session = await step(`connect ${inputs.sshUsername}@${node.name} (${node.address})`, () =>
      reach.connect(node, {key: inputs.sshKey, operator: true, username: inputs.sshUsername}),
    )
    try {
      const result = await step(`remove the provider account on ${node.name}`, () =>
        runAccountScript(session, {...script, hostKeys: false}),
      )
      if (result.code !== 0) throw accountScriptError(node.name, 'remove', result)
      results.push({name: node.name, removed: words(result.exports.REMOVED)})
    } finally {
      session.dispose()
    }
  }

  return results
}
