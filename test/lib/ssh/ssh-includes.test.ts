// `Include` in an ssh config: a config that includes itself six times over ends at once with exit 11
// naming the cycle; a wide fan-out of distinct files (6 files each including the next 6 times) is read
// once per file and gives the right answer; more files than the bound, an included FIFO, and nesting past
// the depth bound are exit 11 naming the file or the bound.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {ExitCode, HyopsError} from '../../../src/lib/errors.js'
import {hostConfig, readSshConfig} from '../../../src/lib/ssh/ssh-config.js'
import {MAX_INCLUDE_DEPTH, MAX_INCLUDE_FILES} from '../../../src/lib/ssh/ssh-includes.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'
import {settlesWithin} from '../../helpers/deadline.js'

let home: string
let savedHome: string | undefined

const quickly = <T>(work: Promise<T>) => settlesWithin(work, 3000)

function configError(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof HyopsError, String(error))
    assert.equal(error.exitCode, ExitCode.ConfigInvalid)
    assert.match(error.message, pattern)
    assert.doesNotMatch(error.line, /\n/)
    return true
  }
}

describe('ssh config Include', () => {
  before(async () => {
    savedHome = process.env.HOME
    home = await tempDir('hyops-includes-')
    process.env.HOME = home
    await mkdir(join(home, '.ssh'), {mode: 0o700})
  })
  after(async () => {
    process.env.HOME = savedHome
    await cleanupTempDirs()
  })

  it('ends at once with exit 11 naming the cycle for `Include config config config config config config`', async () => {
    const config = join(home, '.ssh', 'config')
    await writeFile(config, 'Include config config config config config config\nHost pve\n  HostName 10.0.0.1\n')
    await assert.rejects(
      quickly(readSshConfig(config)),
      configError(new RegExp(`the ssh config ${config} includes itself: ${config} -> ${config}$`)),
    )
  })

  it('reads a fan-out of distinct files once each (6 levels, 6 includes a line), first match wins', async () => {
    const dir = join(home, 'fan')
    await mkdir(dir)
    for (let level = 0; level < 6; level++) {
      const next = join(dir, `level${level + 1}`)
      const body = level === 5 ? 'Host deep\n  HostName 10.9.9.9\n' : `Include ${Array(6).fill(next).join(' ')}\n`
      await writeFile(join(dir, `level${level}`), `${body}Host level${level}\n  User u${level}\n`)
    }

    const top = join(dir, 'top')
    await writeFile(top, `Include ${Array(6).fill(join(dir, 'level0')).join(' ')}\n`)
    const started = Date.now()
    const file = await quickly(readSshConfig(top, 'PROXMOX_SSH_CONFIG'))
    assert.ok(Date.now() - started < 3000)
    assert.equal(hostConfig(file, 'deep').hostName, '10.9.9.9')
    assert.equal(hostConfig(file, 'level3').user, 'u3')
    // Read once: each level's Host block is in the spliced text exactly once.
    const text = file.config!.toString()
    for (let level = 0; level < 6; level++)
      assert.equal(text.split(`Host level${level}\n`).length - 1, 1, `level${level}`)
  })

  it(`stops past ${MAX_INCLUDE_FILES} files with exit 11 naming the bound`, async () => {
    const dir = join(home, 'many')
    await mkdir(dir)
    const names: string[] = []
    for (let i = 0; i <= MAX_INCLUDE_FILES; i++) {
      names.push(join(dir, `f${i}`))
      await writeFile(names[i], `Host h${i}\n`)
    }

    const top = join(dir, 'top')
    await writeFile(top, `Include ${names.join(' ')}\n`)
    await assert.rejects(
      quickly(readSshConfig(top)),
      configError(new RegExp(`includes more than ${MAX_INCLUDE_FILES} files`)),
    )
  })

  it(`stops nesting deeper than ${MAX_INCLUDE_DEPTH} levels with exit 11 naming the chain`, async () => {
    const dir = join(home, 'deep')
    await mkdir(dir)
    for (let i = 0; i <= MAX_INCLUDE_DEPTH + 1; i++)
      await writeFile(join(dir, `d${i}`), `Include ${join(dir, `d${i + 1}`)}\n`)
    await assert.rejects(
      quickly(readSshConfig(join(dir, 'd0'))),
      configError(
        new RegExp(`nests Include deeper than ${MAX_INCLUDE_DEPTH} levels: .*d0 -> .*d${MAX_INCLUDE_DEPTH + 1}$`),
      ),
    )
  })

  it('refuses an included FIFO at once, naming it; a missing include is skipped', async () => {
    const dir = join(home, 'special')
    await mkdir(dir)
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const top = join(dir, 'top')
    await writeFile(top, `Include ${join(dir, 'missing')}\nInclude ${fifo}\n`)
    await assert.rejects(
      quickly(readSshConfig(top)),
      configError(
        new RegExp(`includes ${fifo}, which cannot be read: it is a FIFO \\(named pipe\\), not a regular file`),
      ),
    )
  })

  it('refuses the ssh config itself as a FIFO at once with exit 11 naming it', async () => {
    const fifo = join(home, 'config-fifo')
    execFileSync('mkfifo', [fifo])
    await assert.rejects(
      quickly(readSshConfig(fifo, 'PROXMOX_SSH_CONFIG')),
      configError(new RegExp(`cannot read the ssh config ${fifo}: it is a FIFO`)),
    )
  })
})
