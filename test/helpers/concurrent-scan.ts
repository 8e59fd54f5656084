// Proves that a token scan validated its candidates concurrently from the simulated API's own record of
// when each request arrived and was answered: counts and order, never the wall time a loaded machine stretches.
import assert from 'node:assert/strict'

import type {ApiRequestTiming} from '../fixtures/pve-sim/index.js'

/**
 * The accepted candidate (the first request answered 200 since `since`, `performance.now()` before the scan)
 * was sent before the API had answered any refused one (401, each after the simulated delay), while at least
 * `minInFlight` requests were in flight: a scan that waits for a refusal before its next candidate fails.
 */
export function assertScannedConcurrently(timeline: ApiRequestTiming[], since: number, minInFlight: number): void {
  const window = timeline.filter((t) => t.startedAt >= since)
  const accepted = window.filter((t) => t.status === 200).sort((a, b) => a.startedAt - b.startedAt)[0]
  assert.ok(accepted, 'no request was accepted during the scan')
  const refusedBefore = window.filter((t) => t.status === 401 && t.answeredAt <= accepted.startedAt)
  assert.equal(
    refusedBefore.length,
    0,
    `the accepted one was sent after ${refusedBefore.length} refusal(s): not concurrent`,
  )
  assert.ok(
    accepted.inFlight >= minInFlight,
    `${accepted.inFlight} request(s) in flight when the accepted one arrived, expected ${minInFlight} or more`,
  )
}
