import assert from 'node:assert/strict'

import {HyopsError} from '../../src/lib/errors.js'

/**
 * Asserts that `promise` rejects with a one-line HyopsError of exit `exitCode` and the given
 * machine-readable `reason`; `check` may look closer.
 */
export async function rejectsWithReason(
  promise: Promise<unknown>,
  reason: string,
  check?: (error: HyopsError) => void,
  exitCode = 20,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HyopsError, `not a HyopsError: ${String(error)}`)
    assert.equal(error.exitCode, exitCode)
    assert.equal(error.reason, reason, error.line)
    assert.doesNotMatch(error.line, /\n/)
    check?.(error)
    return true
  })
}
