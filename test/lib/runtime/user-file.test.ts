// The one reader of operator-controlled files: a FIFO (with and without a writer), a socket, a directory,
// a character device, a symlink to a FIFO and an oversized file are refused at once with a reason that says
// what the file is; a regular file (also through a symlink) is read whole; a missing file keeps ENOENT.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {symlink, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {
  readUserFile,
  readUserFileSync,
  readUserText,
  unreadableReason,
  UserFileError,
} from '../../../src/lib/runtime/user-file.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'
import {settlesWithin} from '../../helpers/deadline.js'

let dir: string
let fifo: string
let socketPath: string
let server: Server

const quickly = <T>(work: Promise<T>) => settlesWithin(work, 2000)

function refusedAs(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof UserFileError, String(error))
    assert.equal(error.code, 'ENOTREG')
    assert.match(unreadableReason(error), pattern)
    return true
  }
}

describe('readUserFile', () => {
  before(async () => {
    dir = await tempDir('hyops-user-file-')
    fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    socketPath = join(dir, 'socket')
    server = createServer()
    await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  })
  after(async () => {
    server.close()
    await cleanupTempDirs()
  })

  it('refuses a FIFO no one writes, at once, saying it is a FIFO', async () => {
    await assert.rejects(
      quickly(readUserFile(fifo, {maxBytes: 1024})),
      refusedAs(/^it is a FIFO \(named pipe\), not a regular file$/),
    )
    assert.throws(() => readUserFileSync(fifo, {maxBytes: 1024}), refusedAs(/a FIFO/))
  })

  it('refuses a symlink to a FIFO (the check is on the opened file, not the name)', async () => {
    const link = join(dir, 'link-to-fifo')
    await symlink(fifo, link)
    await assert.rejects(quickly(readUserText(link, {maxBytes: 1024})), refusedAs(/a FIFO/))
  })

  it('refuses a socket, a directory and a character device', async () => {
    await assert.rejects(
      quickly(readUserFile(socketPath, {maxBytes: 1024})),
      refusedAs(/^it is a socket, not a regular file$/),
    )
    await assert.rejects(
      quickly(readUserFile(dir, {maxBytes: 1024})),
      refusedAs(/^it is a directory, not a regular file$/),
    )
    for (const device of ['/dev/null', '/dev/zero']) {
      await assert.rejects(quickly(readUserFile(device, {maxBytes: 1024})), refusedAs(/^it is a character device/))
    }
  })

  it('refuses a file over the bound before reading it, and reads one at the bound', async () => {
    const big = join(dir, 'big')
    await writeFile(big, Buffer.alloc(2049, 'x'))
    await assert.rejects(readUserFile(big, {maxBytes: 2048}), (error: unknown) => {
      assert.ok(error instanceof UserFileError)
      assert.equal(error.code, 'EFBIG')
      assert.equal(error.reason, 'it is larger than 2 KiB')
      return true
    })
    assert.equal((await readUserFile(big, {maxBytes: 2049})).length, 2049)
    assert.equal(readUserFileSync(big, {maxBytes: 2049}).length, 2049)
  })

  it('reads a regular file whole, also through a symlink; a missing file is ENOENT', async () => {
    const file = join(dir, 'plain')
    await writeFile(file, 'a = 1\n')
    await symlink(file, join(dir, 'link-to-plain'))
    assert.equal(await readUserText(join(dir, 'link-to-plain'), {maxBytes: 64}), 'a = 1\n')
    await assert.rejects(readUserFile(join(dir, 'missing'), {maxBytes: 64}), {code: 'ENOENT'})
    assert.equal(unreadableReason(Object.assign(new Error('x'), {code: 'ENOENT'})), 'no such file')
  })
})
