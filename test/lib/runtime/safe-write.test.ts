import assert from 'node:assert/strict'
import {mkdir, readdir, readFile, stat, writeFile, chmod} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {ExitCode, HyopsError} from '../../../src/lib/errors.js'
import {writeFileSafely} from '../../../src/lib/runtime/safe-write.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'

after(cleanupTempDirs)

describe('writeFileSafely', () => {
  it('never lets a 0600 file be seen with a wider mode, even with umask 000', async () => {
    const dir = await tempDir()
    const previous = process.umask(0)
    const seen = new Map<string, number>()
    let writing = true
    const observer = (async () => {
      while (writing) {
        for (const name of await readdir(dir)) {
          const info = await stat(join(dir, name)).catch(() => undefined)
          if (info) seen.set(`${name}:${(info.mode & 0o777).toString(8)}`, info.mode & 0o777)
        }

        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    try {
      for (let i = 0; i < 150; i++) await writeFileSafely(join(dir, `secret-${i % 5}.tfvars`), 'x'.repeat(20_000) + i)
    } finally {
      writing = false
      await observer
      process.umask(previous)
    }

    assert.ok(seen.size > 0, 'the observer saw files')
    const wider = [...seen.entries()].filter(([, mode]) => mode !== 0o600)
    assert.deepEqual(wider, [])
    for (let i = 0; i < 5; i++) assert.equal((await stat(join(dir, `secret-${i}.tfvars`))).mode & 0o777, 0o600)
  })

  it('replaces content atomically and leaves no temp files', async () => {
    const dir = await tempDir()
    const path = join(dir, 'file.json')
    await writeFileSafely(path, 'one')
    await writeFileSafely(path, 'two', {mode: 0o644})
    assert.equal(await readFile(path, 'utf8'), 'two')
    assert.equal((await stat(path)).mode & 0o777, 0o644)
    assert.deepEqual(await readdir(dir), ['file.json'])
  })

  it('fails with exit 30 naming the path when a directory is in the way, and keeps it', async () => {
    const dir = await tempDir()
    const path = join(dir, 'creds.tfvars')
    await mkdir(path)
    await assert.rejects(
      writeFileSafely(path, 'secret'),
      (e: HyopsError) => e.exitCode === ExitCode.Write && e.message.includes(path) && e.message.includes('directory'),
    )
    assert.ok((await stat(path)).isDirectory())
    assert.deepEqual(await readdir(dir), ['creds.tfvars'])
  })

  it('fails with exit 30 in a read-only directory and keeps the old file', async () => {
    const dir = await tempDir()
    const path = join(dir, 'creds.tfvars')
    await writeFile(path, 'old')
    await chmod(dir, 0o500)
    try {
      // root ignores directory modes; then the write goes through, which is also correct.
      const asRoot = process.getuid?.() === 0
      if (asRoot) return
      await assert.rejects(writeFileSafely(path, 'new'), (e: HyopsError) => e.exitCode === ExitCode.Write)
      assert.equal(await readFile(path, 'utf8'), 'old')
    } finally {
      await chmod(dir, 0o700)
    }
  })
})
