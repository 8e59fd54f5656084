// A token's expiry as hyops records and shows it (docs/proxmox.md "Day two"; a target keeps it in `marker.token`):
// Unix seconds as Proxmox keeps them in user.cfg (0 = never), the ISO date beside them, and where the token
// stands against the renewal window.

import {type Clock, unixSeconds} from '../time/clock.js'

const DAY = 86_400

/** Where a token stands: never expires, fine, inside the renewal window, or expired. */
export type ExpiryState = 'never' | 'valid' | 'renew' | 'expired'

/** `expire` as the marker and `--json` hold it: Unix seconds and the ISO time (null for never). */
export interface ExpiryFields {
  expire: number
  expire_iso: string | null
}

export function expiryFields(expire: number): ExpiryFields {
  return {expire, expire_iso: expire > 0 ? new Date(expire * 1000).toISOString() : null}
}

/**
 * Proxmox refuses a token once its expiry is before the current second (AccessControl.pm verify_token), so a token
 * is expired from `expire + 1` on; inside the window when it expires within `renewDays` days.
 */
export function expiryState(expire: number, renewDays: number, now: Date): ExpiryState {
  if (expire <= 0) return 'never'
  const seconds = unixSeconds(now)
  if (expire < seconds) return 'expired'
  return expire <= renewBefore(now, renewDays) ? 'renew' : 'valid'
}

/** The latest expiry a run renews: within `renewDays` days from now (0: only an expired token). */
export function renewBefore(now: Date, renewDays: number): number {
  return unixSeconds(now) + renewDays * DAY
}

/** "expires 2027-01-05, in 30 days", "expired on 2027-01-05, 3 days ago", "never expires". */
export function describeExpiry(expire: number, clock: Clock | Date): string {
  if (expire <= 0) return 'never expires'
  const now = clock instanceof Date ? clock : clock.now()
  const date = new Date(expire * 1000).toISOString().slice(0, 10)
  const seconds = expire - unixSeconds(now)
  const days = Math.round(Math.abs(seconds) / DAY)
  const span = days === 0 ? 'today' : days === 1 ? '1 day' : `${days} days`
  if (seconds < 0) return `expired on ${date}${days === 0 ? ', today' : `, ${span} ago`}`
  return `expires ${date}${days === 0 ? ', today' : `, in ${span}`}`
}

/** The expiry a marker records (`token.expire`), when it records one. */
export function markerExpire(marker: unknown): number | undefined {
  const token = (marker as {token?: {expire?: unknown}} | undefined)?.token
  return typeof token?.expire === 'number' && Number.isInteger(token.expire) && token.expire >= 0
    ? token.expire
    : undefined
}

/** The renewal window a marker records (`token.renew_days`), else the default. */
export function markerRenewDays(marker: unknown, fallback = 14): number {
  const days = (marker as {token?: {renew_days?: unknown}} | undefined)?.token?.renew_days
  return typeof days === 'number' && Number.isInteger(days) && days >= 0 ? days : fallback
}
