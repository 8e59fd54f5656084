// The nodes the provider account goes on, and the host key each one must present: what the cluster itself
// records (docs/proxmox.md, "The provider SSH account"), never a key trusted on first use.
import {ExitCode, HyopsError} from '../../errors.js'
import {entryMatchesHost, type KnownHostEntry, knownHostsName, parseKnownHosts} from '../../ssh/known-hosts.js'
import type {ClusterNodeInfo} from '../types.js'

/** One node of the cluster as the account step reaches it. */
export interface AccountNode {
  name: string
  /** Where SSH reaches it: PROXMOX_IP for the node the run is on, else its address in `.members`. */
  address: string
  /** The node the run's bootstrap session is on. */
  local: boolean
}

/**
 * Every node of the cluster (`.members`), the run's own node first; a lone node is only itself. A node that is
 * offline or has no address is exit 20 naming it: the account must be on every node or on none.
 */
export function accountNodes(node: string, host: string, members: ClusterNodeInfo[] | undefined): AccountNode[] {
  const list = members && members.length > 0 ? members : [{name: node, online: true}]
  const nodes = list.map((member): AccountNode => {
    const local = member.name === node
    if (!local && !member.online) {
      throw new HyopsError(
        ExitCode.Remote,
        `cluster node ${member.name} is offline, so the provider account cannot go on it`,
        {
          hint: `bring ${member.name} back (pvecm status), or unset PROVIDER_SSH_USER for this run`,
          reason: 'node-offline',
        },
      )
    }

    if (!local && !member.ip) {
      throw new HyopsError(ExitCode.Remote, `cluster node ${member.name} has no address in /etc/pve/.members`, {
        hint: `check 'pvecm status' on ${member.name}, or unset PROVIDER_SSH_USER for this run`,
        reason: 'node-address',
      })
    }

    return {address: local ? host : member.ip!, local, name: member.name}
  })
  return nodes.sort((a, b) => Number(b.local) - Number(a.local) || a.name.localeCompare(b.name))
}

/**
 * The entries of the cluster's known_hosts text (each node's `ssh_known_hosts`, then `priv/known_hosts`) for a
 * node: by its name, as Proxmox's own ssh looks it up (HostKeyAlias=<node>, pve-cluster src/PVE/SSHInfo.pm),
 * or by its address.
 */
export function recordedHostKeys(text: string, node: {name: string; ip?: string}): KnownHostEntry[] {
  return parseKnownHosts(text).filter(
    (entry) =>
      !entry.marker &&
      (entryMatchesHost(entry, node.name, 22) || (node.ip ? entryMatchesHost(entry, node.ip, 22) : false)),
  )
}

/**
 * A known_hosts file for the account step: each node's recorded keys under the address and port SSH reaches it
 * at (plus, for the run's own node, what `state/known_hosts` already holds for it). A remote node the cluster
 * records no key for is exit 20: it would have to be trusted on first use.
 */
export function clusterKnownHosts(
  nodes: AccountNode[],
  members: ClusterNodeInfo[] | undefined,
  recorded: string,
  port: number,
  localKnown: KnownHostEntry[] = [],
): string {
  const lines: string[] = []
  for (const node of nodes) {
    const ip = members?.find((member) => member.name === node.name)?.ip
    const entries = [...recordedHostKeys(recorded, {ip, name: node.name}), ...(node.local ? localKnown : [])]
    if (entries.length === 0) {
      throw new HyopsError(
        ExitCode.Remote,
        `the cluster records no SSH host key for node ${node.name} (/etc/pve/nodes/${node.name}/ssh_known_hosts)`,
        {
          hint: `run 'pvecm updatecerts' on ${node.name} so the cluster records its host key, then re-run`,
          reason: 'host-key-unknown',
        },
      )
    }

    const name = knownHostsName(node.address, port)
    for (const entry of entries) lines.push(`${name} ${entry.keyType} ${entry.keyBase64}`)
  }

  return [...new Set(lines)].join('\n') + '\n'
}
