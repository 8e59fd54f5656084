/**
 * True when `error` is a hyops error with this `reason`. Checked by shape, not `instanceof`:
 * errors from the core's hooks (the vault) may come from another copy of the SDK than the one
 * this plugin loaded, and must still be recognised.
 */
export function hasReason(error: unknown, reason: string): error is Error & {exitCode: number; reason: string} {
  const candidate = error as {name?: unknown; exitCode?: unknown; reason?: unknown} | undefined
  return candidate?.name === 'HyopsError' && typeof candidate.exitCode === 'number' && candidate.reason === reason
}
