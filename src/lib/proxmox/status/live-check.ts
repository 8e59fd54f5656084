// `hyops init status --check` for proxmox: the root's token, proved live against the API with the
// privileges of the profile the last run verified. Reads the root only; changes nothing on the host.

import {ExitCode, HyopsError} from '../../errors.js'
import type {CheckAnswer, CheckRequest, CheckTarget} from '../../hooks/check-targets.js'
import {systemClock} from '../../time/clock.js'
import {describeExpiry, expiryState, markerExpire, markerRenewDays} from '../../readiness/token-expiry.js'
import {readProxmoxCredentials, type TfvarsValue} from '../env/credentials.js'
import {validateProxmoxToken} from '../api/validation.js'
import type {ProxmoxMarkerPermissions} from '../outputs/marker.js'
import {DEFAULT_PRIVILEGE_PROFILE, DEFAULT_ROLE_NAME, profilePrivileges} from '../permissions/profiles.js'

export const proxmoxCheckTarget: CheckTarget = {check: checkProxmox, target: 'proxmox'}

async function checkProxmox(request: CheckRequest): Promise<CheckAnswer> {
  const expiry = expiryCheck(request)
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
      `${verified.profile} profile verified on ${verified.paths.join(', ')}` +
      (expiry.expire > 0 ? `; ${describeExpiry(expiry.expire, expiry.now)}` : ''),
    ...(expiry.warning ? {warnings: [expiry.warning]} : {}),
  }
}

/**
 * The expiry the marker records (read from the host by the last run), against the clock: expired is exit 21 naming
 * the date (Proxmox answers 401 from then on); inside TOKEN_RENEW_DAYS a warning that the next run renews it.
 */
function expiryCheck(request: CheckRequest): {expire: number; now: Date; warning?: string} {
  const now = (request.clock ?? systemClock).now()
  const expire = markerExpire(request.marker) ?? 0
  const renewDays = markerRenewDays(request.marker)
  const tokenId = (request.marker as {token?: {id?: string}}).token?.id ?? 'the token'
  const state = expiryState(expire, renewDays, now)
  if (state === 'expired') {
    throw new HyopsError(ExitCode.Secrets, `${tokenId} ${describeExpiry(expire, now)} (token.expire in the marker)`, {
      hint: 'run hyops init proxmox on this root to renew it',
      reason: 'token-expired',
    })
  }

  if (state !== 'renew') return {expire, now}
  return {
    expire,
    now,
    warning:
      `${tokenId} ${describeExpiry(expire, now)}, inside the renewal window of ${renewDays} days ` +
      '(TOKEN_RENEW_DAYS): run hyops init proxmox to renew it',
  }
}
