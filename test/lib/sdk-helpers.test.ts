import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {markerFor} from '../../src/lib/command/marker-fields.js'
import {describeError, ExitCode, HyopsError, isHyopsError} from '../../src/lib/errors.js'

/** A HyopsError as another copy of the SDK makes it: same shape, another class. */
class ForeignHyopsError extends Error {
  readonly exitCode = 21
  readonly reason = 'no-password'
  readonly hint = 'pass --vault-password-file'
  override readonly name = 'HyopsError'
}

describe('isHyopsError', () => {
  it('recognises a hyops error by its shape, from this or another copy of the SDK, with or without a reason', () => {
    const own = new HyopsError(ExitCode.Remote, 'x', {reason: 'token-rejected'})
    assert.ok(isHyopsError(own))
    assert.ok(isHyopsError(own, 'token-rejected'))
    assert.ok(!isHyopsError(own, 'no-password'))
    const foreign = new ForeignHyopsError('no vault password source')
    assert.ok(isHyopsError(foreign, 'no-password'))
    for (const other of [new Error('x'), {name: 'HyopsError'}, {exitCode: 21, message: 'x'}, undefined, 'HyopsError'])
      assert.ok(!isHyopsError(other))
  })

  it("maps another copy's error to its own exit code and hint", () => {
    assert.deepEqual(describeError(new ForeignHyopsError('no vault password source')), {
      exitCode: 21,
      hint: 'pass --vault-password-file',
      message: 'no vault password source',
    })
  })
})

describe('markerFor', () => {
  const context = {
    configFile: '/r/config/t.conf',
    evidence: {dir: '/r/logs/x'},
    runId: 'init-t-1',
    target: 't',
    vaultFile: '/r/v',
  }

  it('fills the standard fields; the target adds its own and its paths', () => {
    const marker = markerFor(context as never, {api_url: 'https://a', paths: {credentials: '/r/c'}})
    assert.equal(marker.target, 't')
    assert.equal(marker.run_id, 'init-t-1')
    assert.equal(marker.status, 'ready')
    assert.ok(Math.abs(Date.parse(marker.generated_at) - Date.now()) < 60_000)
    assert.equal(marker.api_url, 'https://a')
    assert.deepEqual(marker.paths, {
      config: '/r/config/t.conf',
      credentials: '/r/c',
      evidence_dir: '/r/logs/x',
      vault: '/r/v',
    })
    const failed = markerFor(context as never, {reason: 'vault write failed', status: 'not_ready'})
    assert.deepEqual([failed.status, failed.reason], ['not_ready', 'vault write failed'])
  })
})
