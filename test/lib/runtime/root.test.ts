import assert from 'node:assert/strict'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {ExitCode, HyopsError} from '../../../src/lib/errors.js'
import {resolveRuntimeRoot, validateEnvName} from '../../../src/lib/runtime/root.js'

const home = join(homedir(), '.hybridops')

describe('runtime root resolution', () => {
  it('defaults to ~/.hybridops', () => {
    assert.deepEqual(resolveRuntimeRoot({environment: {}}), {root: home, source: 'default'})
  })

  it('follows --root, then --env, then HYOPS_RUNTIME_ROOT, then HYOPS_ENV', () => {
    const environment = {HYOPS_ENV: 'fromenv', HYOPS_RUNTIME_ROOT: '/srv/rt'}
    assert.equal(resolveRuntimeRoot({environment, root: '/x/y'}).root, '/x/y')
    assert.equal(resolveRuntimeRoot({env: 'dev', environment}).root, join(home, 'envs', 'dev'))
    assert.equal(resolveRuntimeRoot({environment}).root, '/srv/rt')
    assert.deepEqual(resolveRuntimeRoot({environment: {HYOPS_ENV: 'staging'}}), {
      envName: 'staging',
      root: join(home, 'envs', 'staging'),
      source: 'HYOPS_ENV',
    })
  })

  it('makes a relative --root absolute and expands ~', () => {
    assert.equal(resolveRuntimeRoot({environment: {}, root: 'rel/dir'}).root, join(process.cwd(), 'rel/dir'))
    assert.equal(resolveRuntimeRoot({environment: {}, root: '~/rt'}).root, join(homedir(), 'rt'))
  })

  it('refuses --root with --env as a usage error', () => {
    assert.throws(
      () => resolveRuntimeRoot({env: 'a', environment: {}, root: '/r'}),
      (e: HyopsError) => e.exitCode === ExitCode.Usage,
    )
  })

  for (const bad of ['../x', 'a/b', '..', '', '-lead', 'x'.repeat(65), 'sp ace', 'dot.dot']) {
    it(`rejects env name ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => validateEnvName(bad),
        (e: HyopsError) => e.exitCode === ExitCode.Usage && e.message.includes('not a valid env name'),
      )
    })
  }

  for (const good of ['dev', 'Prod_2', '0-a', 'x'.repeat(64)]) {
    it(`accepts env name ${good.slice(0, 10)}`, () => assert.equal(validateEnvName(good), good))
  }

  it('validates HYOPS_ENV too', () => {
    assert.throws(() => resolveRuntimeRoot({environment: {HYOPS_ENV: '../etc'}}), /HYOPS_ENV/)
  })
})
