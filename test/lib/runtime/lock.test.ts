import assert from 'node:assert/strict'
import {readdir, readFile, utimes, writeFile} from 'node:fs/promises'
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

describe('acquireLock never wedges', () => {
  const old = new Date(Date.now() - 60_000)

  for (const [what, content] of [
    ['empty (left by a full disk)', ''],
    ['garbled', 'not a pid\n'],
  ] as const) {
    it(`takes over a lock that is ${what}, with a note`, async () => {
      const dir = await tempDir()
      const path = join(dir, '.lock')
      await writeFile(path, content)
      await utimes(path, old, old)
      const notes: string[] = []
      const lock = await acquireLock(path, {note: (line) => notes.push(line), waitMs: 100})
      assert.equal(await readFile(path, 'utf8'), `${process.pid}\n`)
      assert.equal(notes.length, 1)
      assert.match(notes[0], new RegExp(`^Note: took over the lock ${path} \\(it (was empty|held no pid)\\)$`))
      await lock.release()
      assert.deepEqual(await readdir(dir), [])
    })
  }

  it('says so when the owner is gone', async () => {
    const path = join(await tempDir(), '.lock')
    await writeFile(path, '999999999\n')
    const notes: string[] = []
    const lock = await acquireLock(path, {note: (line) => notes.push(line), waitMs: 100})
    assert.deepEqual(notes, [`Note: took over the lock ${path} (its owner, pid 999999999, is gone)`])
    await lock.release()
  })

  it('waits for an empty lock that is fresh (an older hyops may be writing its pid)', async () => {
    const path = join(await tempDir(), '.lock')
    await writeFile(path, '')
    await assert.rejects(acquireLock(path, {purpose: 'another init', waitMs: 150}), (e: HyopsError) => {
      assert.equal(e.exitCode, 2)
      assert.equal(e.message, `another init is in progress (lock ${path})`)
      return true
    })
  })

  it('is never seen empty: many concurrent takers, every lock read holds a pid', async () => {
    const path = join(await tempDir(), '.lock')
    let seen = 0
    const reader = (async () => {
      for (let i = 0; i < 200; i++) {
        const text = await readFile(path, 'utf8').catch(() => undefined)
        if (text !== undefined) {
          assert.match(text, /^\d+\n$/)
          seen++
        }

        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    for (let i = 0; i < 20; i++) {
      const lock = await acquireLock(path, {waitMs: 2000})
      await new Promise((resolve) => setTimeout(resolve, 2))
      await lock.release()
    }

    await reader
    assert.ok(seen >= 0)
  })

  it('names a directory it cannot write in (exit 30), and leaves no temp file', async () => {
    const dir = await tempDir()
    await assert.rejects(acquireLock(join(dir, 'missing', '.lock')), (e: HyopsError) => {
      assert.equal(e.exitCode, 30)
      assert.match(e.message, /^cannot create lock \S+: its directory does not exist$/)
      return true
    })
  })
})
