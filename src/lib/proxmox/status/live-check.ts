// `hyops init status --check` for proxmox: the root's token, proved live against the API with the
// privileges of the profile the last run verified. Reads the root only; changes nothing on the host.

import type {CheckAnswer, CheckRequest, CheckTarget} from '../../hooks/check-targets.js'
import {readProxmoxCredentials, type TfvarsValue} from '../env/credentials.js'
import {validateProxmoxToken} from '../api/validation.js'
import type {ProxmoxMarkerPermissions} from '../outputs/marker.js'
import {DEFAULT_PRIVILEGE_PROFILE, DEFAULT_ROLE_NAME, profilePrivileges} from '../permissions/profiles.js'

export const proxmoxCheckTarget: CheckTarget = {check: checkProxmox, target: 'proxmox'}

async function checkProxmox(request: CheckRequest): Promise<CheckAnswer> {
  const credentials = await readProxmoxCredentials(request)
  const {tfvars} = credentials
  const text = (name: string, fallback = ''): string => {
    const value: TfvarsValue | undefined = tfvars[name]
    return typeof value === 'string' ? value : fallback
  }

  const runtime = {
    bridge: text('network_bridge'),
    storageIso: text('storage_iso'),
    storageSnippets: text('storage_snippets'),
    storageVm: text('storage_pool'),
  }
  // A marker of a release before profiles: held to the default profile, which its grants may not meet.
  const promised = (request.marker as {permissions?: ProxmoxMarkerPermissions}).permissions
  const result = await validateProxmoxToken({
    apiUrl: credentials.url,
    caPem: credentials.caPem,
    node: text('proxmox_node'),
    privileges: {
      profile: promised?.profile ?? DEFAULT_PRIVILEGE_PROFILE,
      role: promised?.role ?? DEFAULT_ROLE_NAME,
      runtime,
      tokenId: credentials.tokenId,
      userFq: credentials.userFq,
      wanted: promised ? [...promised.privileges, ...promised.skipped] : profilePrivileges(DEFAULT_PRIVILEGE_PROFILE),
    },
    secret: credentials.secret,
    storage: runtime.storageSnippets,
    tlsSkip: credentials.skipTls,
    tokenId: credentials.tokenId,
  })
  const verified = result.verified!
  return {
    detail:
      `token ${credentials.tokenId} works${result.version ? ` (PVE ${result.version})` : ''}; ` +
      `${verified.profile} profile verified on ${verified.paths.join(', ')}`,
  }
}
