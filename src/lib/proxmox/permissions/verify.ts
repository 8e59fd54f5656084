import {ExitCode, HyopsError} from '../../errors.js'
import type {MarkerDiscovery, ProxmoxInputs, VerifiedPrivileges} from '../types.js'
import {type MissingPrivilege, missingPrivileges, privilegeRequirements} from './requirements.js'

/** What the token was made for: the profile's privileges, held through the managed role. */
export interface PrivilegePromise {
  profile: string
  role: string
  /** The profile's privileges before the host's version filtered them. */
  wanted: readonly string[]
  userFq: string
  tokenId: string
}

/** The promise a run's inputs make. */
export function privilegePromise(inputs: ProxmoxInputs): PrivilegePromise {
  return {
    profile: inputs.privilegeProfile,
    role: inputs.roleName,
    tokenId: inputs.tokenId,
    userFq: inputs.userFq,
    wanted: inputs.privileges,
  }
}

/** A GET against the API base (`/access/roles/Administrator`), answering the `data` field. */
export type ApiGet = (apiPath: string) => Promise<unknown>

/**
 * Proves the promise with the token itself: the privileges this version knows (the built-in Administrator
 * role holds them all, `GET /access/roles/Administrator`, open to any user) intersected with the profile's,
 * then the token's own effective privileges on each path that matters (`GET /access/permissions?path=P`).
 * All requests go at once. A missing privilege is exit 21 `privileges-missing` naming it, the path and the fix.
 */
export async function verifyPrivileges(
  get: ApiGet,
  promise: PrivilegePromise,
  runtime: Pick<MarkerDiscovery, 'bridge' | 'storageIso' | 'storageSnippets' | 'storageVm'>,
): Promise<VerifiedPrivileges> {
  const asked = privilegeRequirements(promise.wanted, runtime)
  const [known, ...answers] = await Promise.all([
    get('/access/roles/Administrator'),
    ...asked.map(({path}) => get(`/access/permissions?path=${encodeURIComponent(path)}`)),
  ])
  const valid = new Set(Object.keys(isRecord(known) ? known : {}))
  const privileges = promise.wanted.filter((p) => valid.has(p))
  const skipped = promise.wanted.filter((p) => !valid.has(p))
  const requirements = privilegeRequirements(privileges, runtime)
  const effective: Record<string, Record<string, unknown>> = {}
  for (const [i, {path}] of asked.entries()) {
    const answer = answers[i]
    const perPath = isRecord(answer) ? answer[path] : undefined
    effective[path] = isRecord(perPath) ? perPath : {}
  }

  const missing = missingPrivileges(requirements, effective)
  if (missing.length > 0) throw privilegesMissing(promise, missing)
  return {
    paths: requirements.map((r) => r.path),
    privileges,
    profile: promise.profile,
    role: promise.role,
    skipped,
  }
}

function privilegesMissing(promise: PrivilegePromise, missing: MissingPrivilege[]): HyopsError {
  const byPath = new Map<string, string[]>()
  for (const {path, privilege} of missing) byPath.set(path, [...(byPath.get(path) ?? []), privilege])
  const what = [...byPath].map(([path, privileges]) => `${privileges.join(', ')} on ${path}`).join('; ')
  const deeper = [...byPath.keys()].find((path) => path !== '/')
  const hint = byPath.has('/')
    ? `re-run "hyops init proxmox" (it brings the role ${promise.role} up to date and grants it on / to ` +
      `${promise.userFq}), or on the host: pveum acl modify / --users ${promise.userFq} --roles ${promise.role}`
    : `an ACL on ${deeper} for ${promise.userFq} (or its token) replaces the role inherited from /: remove it ` +
      `(pveum acl list shows it; pveum acl delete ${deeper} --users ${promise.userFq} --roles <role>) or grant ` +
      `${promise.role} there too (pveum acl modify ${deeper} --users ${promise.userFq} --roles ${promise.role})`
  return new HyopsError(
    ExitCode.Secrets,
    `token ${promise.tokenId} lacks ${what}, which the ${promise.profile} profile needs`,
    {hint, reason: 'privileges-missing'},
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
