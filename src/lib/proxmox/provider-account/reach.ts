// Reaching every node of the cluster for the provider account: the operator's access (on Proxmox, root's
// authorized_keys is shared through /etc/pve) or the account's own key, each node's host key checked strictly
// against what the cluster records (`<root>/state/cluster_known_hosts`, rewritten from the cluster on each run).
import {join} from 'node:path'

import {HyopsError} from '../../errors.js'
import type {RuntimeLayout} from '../../runtime/layout.js'
import {writeFileSafely} from '../../runtime/safe-write.js'
import {openAgent} from '../../ssh/agent-auth.js'
import {connectSsh, type SshSession} from '../../ssh/connection.js'
import {entryMatchesHost, readKnownHosts} from '../../ssh/known-hosts.js'
import type {SshRoute} from '../config/ssh-route.js'
import type {ClusterNodeInfo, ProxmoxInputs} from '../types.js'
import {type AccountNode, accountNodes, clusterKnownHosts} from './nodes.js'

export interface ReachRequest {
  inputs: ProxmoxInputs
  route?: SshRoute
  layout: RuntimeLayout
  /** The node the run's bootstrap session is on, and the cluster's members (`.members`). */
  node: string
  members?: ClusterNodeInfo[]
}

/** Who logs in: the operator (PROXMOX_SSH_USERNAME, its keys and agent) or the account with its key file. */
export interface Login {
  username: string
  key: string
  operator: boolean
}

export interface ClusterReach {
  /** The run's own node first. */
  nodes: AccountNode[]
  knownHostsFile: string
  connect(node: AccountNode, login: Login): Promise<SshSession>
}

/** `<root>/state/cluster_known_hosts`: the host keys the cluster records, where the account step reaches them. */
export function clusterKnownHostsFile(layout: RuntimeLayout): string {
  return join(layout.dir('state'), 'cluster_known_hosts')
}

/** A failure on a node, its message naming the node. */
export function onNode(node: AccountNode, error: unknown): unknown {
  if (!(error instanceof HyopsError) || error.message.includes(`node ${node.name}`)) return error
  return new HyopsError(error.exitCode, `node ${node.name} (${node.address}): ${error.message}`, {
    hint: error.hint,
    reason: error.reason,
  })
}

/**
 * Writes the cluster's recorded host keys (the text the node piece reported, CLUSTER_KNOWN_HOSTS_B64) where each
 * node is reached, plus what `state/known_hosts` holds for the run's own node and its jump hosts, and returns how
 * to connect to each node.
 */
export async function reachCluster(request: ReachRequest, recordedBase64: string | undefined): Promise<ClusterReach> {
  const {inputs, layout} = request
  const nodes = accountNodes(request.node, inputs.host, request.members)
  const known = await readKnownHosts(layout.knownHostsFile)
  const hops = request.route?.jumps ?? []
  const text = clusterKnownHosts(
    nodes,
    request.members,
    Buffer.from(recordedBase64 ?? '', 'base64').toString('utf8'),
    inputs.sshPort,
    known.filter((entry) => !entry.marker && entryMatchesHost(entry, inputs.host, inputs.sshPort)),
  )
  const hopLines = known
    .filter((entry) => !entry.marker && hops.some((hop) => entryMatchesHost(entry, hop.host, hop.port)))
    .map((entry) => `${entry.hosts} ${entry.keyType} ${entry.keyBase64}\n`)
  const knownHostsFile = clusterKnownHostsFile(layout)
  await writeFileSafely(knownHostsFile, text + hopLines.join(''), {mode: 0o644})
  const agent = await openAgent()
  return {
    connect: (node, login) =>
      connectSsh({
        agent: login.operator ? agent : undefined,
        host: node.address,
        hostKeyPolicy: 'strict',
        identitiesOnly: login.operator ? request.route?.identitiesOnly : true,
        identityFiles: login.operator ? request.route?.identityFiles : undefined,
        jumps: hops.map((hop) => ({...hop, agent: login.operator ? agent : undefined})),
        knownHostsFile,
        port: inputs.sshPort,
        privateKeyPath: login.key,
        username: login.username,
      }).catch((error: unknown) => {
        throw onNode(node, error)
      }),
    knownHostsFile,
    nodes,
  }
}
