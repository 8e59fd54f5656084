import type {MarkerDiscovery} from '../types.js'

/** Privileges the token must hold on one ACL path. */
export interface PathRequirement {
  path: string
  privileges: string[]
}

/**
 * Where the role's privileges must hold for the tools to work: all of them on `/` (the Telmate check
 * reads `/`), the storage ones on each chosen storage, SDN.Use on the bridge's zone path
 * (`/sdn/zones/localnetwork/<bridge>`, what qemu-server checks since 8.0 for a NIC on a local bridge).
 * A grant on a more specific path replaces the inherited role for that user, so each path is checked.
 */
export function privilegeRequirements(
  privileges: readonly string[],
  runtime: Pick<MarkerDiscovery, 'bridge' | 'storageIso' | 'storageSnippets' | 'storageVm'>,
): PathRequirement[] {
  const all = [...privileges].sort()
  const storage = all.filter((p) => p.startsWith('Datastore.'))
  const storages = [...new Set([runtime.storageVm, runtime.storageIso, runtime.storageSnippets])]
  const requirements: PathRequirement[] = [{path: '/', privileges: all}]
  if (storage.length > 0) for (const id of storages) requirements.push({path: `/storage/${id}`, privileges: storage})
  if (all.includes('SDN.Use'))
    requirements.push({path: `/sdn/zones/localnetwork/${runtime.bridge}`, privileges: ['SDN.Use']})
  return requirements
}

/** One privilege the token lacks on one path. */
export interface MissingPrivilege {
  path: string
  privilege: string
}

/** What each requirement lacks, given the token's effective privileges per path (`/access/permissions`). */
export function missingPrivileges(
  requirements: readonly PathRequirement[],
  effective: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): MissingPrivilege[] {
  return requirements.flatMap(({path, privileges}) =>
    privileges
      .filter((privilege) => effective[path]?.[privilege] === undefined)
      .map((privilege) => ({path, privilege})),
  )
}
