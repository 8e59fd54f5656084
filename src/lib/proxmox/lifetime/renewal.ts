// The token's life across runs (docs/proxmox.md "Day two"): whether this run may renew the token and must reach
// the host to do so, and what the marker records about the token afterwards.

import type {ReadinessMarker} from '../../readiness/marker.js'
import {expiryState, type ExpiryState, markerExpire, renewBefore} from '../../readiness/token-expiry.js'
import type {Clock} from '../../time/clock.js'
import {unixSeconds} from '../../time/clock.js'
import type {ProxmoxMarkerToken} from '../outputs/marker.js'
import {tokenExpiry} from '../bootstrap/script.js'
import type {ProxmoxInputs, RuntimeDiscovery, TokenAction} from '../types.js'

/** What a run knows about renewal before it reaches the host. */
export interface RenewalPlan {
  /** The previous marker says hyops made this token: only such a token is renewed (or replaced once expired). */
  managed: boolean
  /** The expiry the marker recorded, and where it stands now. */
  expire: number
  state: ExpiryState
  /**
   * RENEW_BEFORE for the bootstrap: it renews a token whose expiry on the host (user.cfg, which may have changed
   * since) is at or before this second. 0 = never (not hyops' token).
   */
  renewBefore: number
  /** The marker says it is due: a run that would skip the host (a non-interactive re-run) goes there anyway. */
  mustConnect: boolean
}

/** Whether the previous marker says hyops made the token `tokenId` (a marker before `managed` existed: its action). */
export function managedBy(marker: ReadinessMarker | undefined, tokenId: string): boolean {
  const token = (marker as {token?: Partial<ProxmoxMarkerToken>} | undefined)?.token
  if (!token || token.id !== tokenId) return false
  return (
    token.managed === true || token.action === 'created' || token.action === 'rotated' || token.action === 'renewed'
  )
}

export function renewalPlan(marker: ReadinessMarker | undefined, inputs: ProxmoxInputs, clock: Clock): RenewalPlan {
  const now = clock.now()
  const managed = managedBy(marker, inputs.tokenId)
  const expire = markerExpire(marker) ?? 0
  const state = expiryState(expire, inputs.tokenRenewDays, now)
  return {
    expire,
    managed,
    mustConnect: managed && (state === 'renew' || state === 'expired'),
    renewBefore: managed ? renewBefore(now, inputs.tokenRenewDays) : 0,
    state,
  }
}

/**
 * A token the host has (create mode, no secret here) whose expiry passed, on a root whose marker says hyops made
 * it: replaced without --force, as a renewal would have done.
 */
export function replaceExpired(plan: RenewalPlan, hostExpire: number | undefined, clock: Clock): boolean {
  const expire = hostExpire ?? plan.expire
  return plan.managed && expire > 0 && expire < unixSeconds(clock.now())
}

/** What the run learnt about the token on the host (framed lines of the bootstrap). */
export interface TokenLifeReport {
  /** TOKEN_EXPIRE_AT: the expiry in user.cfg before this run changed it. */
  expireOnHost?: number
  /** The expiry this run gave a token it made (TOKEN_EXPIRE sent to the host). */
  expireSet?: number
  /** The script made the user in this run (USER_CREATED). */
  userCreated?: boolean
}

/** The framed lines of the token's life → a {@link TokenLifeReport} (the secret is not among them). */
export function tokenLifeFromExports(
  exports: Record<string, string>,
): Pick<TokenLifeReport, 'expireOnHost' | 'userCreated'> & {renewed: boolean; regenerated: boolean} {
  const at = exports.TOKEN_EXPIRE_AT
  return {
    ...(at !== undefined && /^\d+$/.test(at) ? {expireOnHost: Number(at)} : {}),
    regenerated: exports.TOKEN_REGENERATED === '1',
    renewed: exports.TOKEN_RENEWED === '1',
    ...(exports.USER_CREATED === '1' ? {userCreated: true} : {}),
  }
}

/** The marker's `token` input after a run: the expiry now on the host, and what hyops made (carried forward). */
export function tokenRecord(args: {
  inputs: ProxmoxInputs
  action: TokenAction
  fromEnv?: string
  previous: ReadinessMarker | undefined
  report: TokenLifeReport
}): {
  id: string
  action: TokenAction
  fromEnv?: string
  expire?: number
  renewDays: number
  managed: boolean
  userCreated: boolean
} {
  const {action, inputs, previous, report} = args
  const made = action === 'created' || action === 'rotated' || action === 'renewed'
  const before = (previous as {token?: Partial<ProxmoxMarkerToken>} | undefined)?.token
  const sameToken = before?.id === inputs.tokenId
  const sameUser = before?.id?.startsWith(`${inputs.userFq}!`) === true
  const expire = made ? report.expireSet : (report.expireOnHost ?? (sameToken ? markerExpire(previous) : undefined))
  return {
    action,
    ...(args.fromEnv === undefined ? {} : {fromEnv: args.fromEnv}),
    ...(expire === undefined ? {} : {expire}),
    id: inputs.tokenId,
    managed: made || managedBy(previous, inputs.tokenId),
    renewDays: inputs.tokenRenewDays,
    userCreated: report.userCreated === true || (sameUser && before?.user_created === true),
  }
}

/**
 * The token's life within one run (docs/proxmox.md "Day two"): what the previous marker says, what the bootstrap
 * reports, what this run did, and what the next marker records.
 */
export class TokenLife {
  readonly plan: RenewalPlan
  private report: TokenLifeReport = {}

  constructor(
    private readonly previous: ReadinessMarker | undefined,
    private readonly inputs: ProxmoxInputs,
    private readonly now: () => Date,
  ) {
    this.plan = renewalPlan(previous, inputs, {now})
  }

  /** What the bootstrap needs to renew in place: the clock, RENEW_BEFORE, and the write-ahead before it renews. */
  bootstrapRequest(writeAhead: () => Promise<void>): {
    now: Date
    renewBefore: number
    onRenewPlanned: () => Promise<void>
  } {
    return {now: this.sending(), onRenewPlanned: writeAhead, renewBefore: this.plan.renewBefore}
  }

  /**
   * Whether the run reaches the host: as decided without renewal, or because the token is due (also a
   * non-interactive re-run that would skip the host goes there), unless --no-remote forbids it.
   */
  connects(decided: boolean, remoteFlag: boolean | undefined): boolean {
    return decided || (remoteFlag !== false && this.plan.mustConnect)
  }

  /** A token that exists without a secret here, hyops made it and it expired: replaced without asking. */
  replacesExpired(discovery: RuntimeDiscovery): boolean {
    return replaceExpired(this.plan, discovery.tokenExpire, {now: this.now})
  }

  /** What the bootstrap did with the token; remembers what the marker must record. */
  action(discovery: RuntimeDiscovery): TokenAction {
    const action: TokenAction = discovery.tokenRenewed
      ? 'renewed'
      : discovery.tokenSecret
        ? discovery.tokenExisted
          ? 'rotated'
          : 'created'
        : 'kept'
    this.report = {
      expireOnHost: discovery.tokenExpire ?? this.report.expireOnHost,
      expireSet: discovery.tokenSecret ? tokenExpiry(this.inputs.tokenExpireDays, this.sent) : undefined,
      userCreated: discovery.userCreated === true || this.report.userCreated,
    }
    return action
  }

  /** The time the last bootstrap request was made at: a new token's expiry counts from it. */
  private sent = new Date(0)

  /** Marks when a bootstrap is sent (see `bootstrapRequest`). */
  sending(): Date {
    this.sent = this.now()
    return this.sent
  }

  /** The marker's `token` input of a ready run. */
  record(action: TokenAction, fromEnv?: string): ReturnType<typeof tokenRecord> {
    return tokenRecord({action, fromEnv, inputs: this.inputs, previous: this.previous, report: this.report})
  }
}

/** The previous marker's token facts, kept by a marker this run rewrites as not ready. */
export function carriedToken(previous: ReadinessMarker | undefined): {
  expire?: number
  renewDays?: number
  managed?: boolean
  userCreated?: boolean
} {
  const token = (previous as {token?: Partial<ProxmoxMarkerToken>} | undefined)?.token
  if (!token) return {}
  const expire = markerExpire(previous)
  return {
    ...(expire === undefined ? {} : {expire}),
    ...(typeof token.renew_days === 'number' ? {renewDays: token.renew_days} : {}),
    ...(token.managed ? {managed: true} : {}),
    ...(token.user_created ? {userCreated: true} : {}),
  }
}
