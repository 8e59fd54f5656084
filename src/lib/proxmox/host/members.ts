// The cluster's nodes and their addresses from /etc/pve/.members (JSON written by pmxcfs,
// pve-cluster src/pmxcfs/status.c): a lone node lists only its own name, a cluster a
// "nodelist" of name → {id, online, ip}.

/** One node of the cluster, for tools that need per-node SSH addresses (bpg's ssh block). */
export interface ClusterNode {
  name: string
  ip?: string
  online: boolean
}

/**
 * The nodes of a base64 `.members` file, sorted by name; a lone node gets the address the
 * host reported. Undefined when the text is not the file's JSON.
 */
export function clusterNodesFrom(base64: string, node: string, reportedIp?: string): ClusterNode[] | undefined {
  let members: {nodelist?: Record<string, {ip?: unknown; online?: unknown}>}
  try {
    members = JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as typeof members
  } catch {
    return undefined
  }

  if (members === null || typeof members !== 'object') return undefined
  const list = members.nodelist
  if (!list || typeof list !== 'object' || Object.keys(list).length === 0)
    return [{name: node, online: true, ...(reportedIp ? {ip: reportedIp} : {})}]
  return Object.entries(list)
    .map(([name, entry]) => ({
      name,
      online: entry?.online === 1 || entry?.online === true,
      ...(typeof entry?.ip === 'string' ? {ip: entry.ip} : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
}
