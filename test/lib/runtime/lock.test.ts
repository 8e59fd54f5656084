import assert from 'node:assert/strict'
import {writeFile, readdir} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {HyopsError} from '../../../src/lib/errors.js'
import {acquireLock} from '../../../src/lib/runtime/lock.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'

after(cleanupTempDirs)

describe('acquireLock', () => {
  it('makes a second holder wait, then fail with a clear message', async () => {
    const path = join(await tempDir(), '.lock')
    const lock = await acquireLock(path)
    await assert.rejects(
      acquireLock(path, {purpose: 'another init', waitMs: 150}),
      (e: HyopsError) => /another init is in progress/.test(e.message) && e.message.includes(String(process.pid)),
    )
    await lock.release()
    const again = await acquireLock(path, {waitMs: 150})
    await again.release()
  })

  it('hands the lock over when the holder releases while a waiter waits', async () => {
    const path = join(await tempDir(), '.lock')
    const lock = await acquireLock(path)
    setTimeout(() => void lock.release(), 100)
    const second = await acquireLock(path, {waitMs: 2000})
    await second.release()
  })

  it('takes over a lock whose owner process is gone', async () => {
    const dir = await tempDir()
    const path = join(dir, '.lock')
    await writeFile(path, '999999999\n')
    const lock = await acquireLock(path, {waitMs: 100})
    await lock.release()
    assert.deepEqual(await readdir(dir), [])
  })
})
