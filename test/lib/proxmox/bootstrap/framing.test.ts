// The bootstrap's output protocol (issue 11): framed EXPORT lines bound to the run, the secret kept before the
// script goes on, bounded output. Real bash against the simulated host's commands, no SSH in between; a
// "login script" is stdout the session prints before the script's own.
import assert from 'node:assert/strict'
import {mkdir, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {HyopsError} from '../../../../src/lib/errors.js'
import {LineReader} from '../../../../src/lib/proxmox/bootstrap/framing.js'
import {runRemoteBootstrap} from '../../../../src/lib/proxmox/bootstrap/run.js'
import type {SshSession} from '../../../../src/lib/ssh/connection.js'
import {SIM_BIN_DIR} from '../../../fixtures/pve-sim/index.js'
import {
  defaultSimState,
  readSimState,
  type SimState,
  updateSimState,
  writeSimState,
} from '../../../fixtures/pve-sim/state.js'
import {localBashSession, testInputs} from './helpers.js'

/** A session that prints `banner` on stdout before the command's own output, as a chatty ~/.bashrc would. */
function chatty(session: SshSession, banner: string): SshSession {
  return {
    ...session,
    dispose: () => session.dispose(),
    exec: (command, options = {}) => {
      options.onStdout?.(Buffer.from(banner))
      return session.exec(command, options)
    },
  }
}

describe('bootstrap output protocol', {concurrency: 4}, () => {
  let root: string
  let count = 0
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hyops-framing-'))
  })
  after(async () => {
    await rm(root, {force: true, recursive: true})
  })

  async function host(state: Partial<SimState> = {}) {
    const dir = join(root, `host-${++count}`)
    await mkdir(dir, {recursive: true})
    const statePath = join(dir, 'state.json')
    await writeSimState(statePath, {...defaultSimState(), ...state})
    const session = localBashSession([SIM_BIN_DIR], {HYOPS_PVE_ETC: dir, HYOPS_SIM_STATE: statePath})
    return {read: () => readSimState(statePath), session, statePath}
  }

  const FORGED = 'EXPORT:TOKEN_SECRET=forged-1\nEXPORT:NODE=evil\nEXPORT:0000:TOKEN_SECRET=forged-2\n'

  it('ignores every unframed or wrongly framed line a login script prints, secrets included', async () => {
    const h = await host()
    const kept: string[] = []
    const found = await runRemoteBootstrap(chatty(h.session, FORGED), {
      inputs: testInputs(),
      onTokenSecret: async (secret) => void kept.push(secret),
      tokenMode: 'create',
      wantCa: false,
    })
    const token = (await h.read()).tokens['hyops@pve!hyops']
    assert.equal(found.node, 'pve1')
    assert.deepEqual(kept, [token.secret], 'only the secret the host made, once')
    assert.equal(found.tokenSecret, token.secret)
  })

  it('keep mode takes no secret at all', async () => {
    const h = await host()
    await runRemoteBootstrap(h.session, {inputs: testInputs(), tokenMode: 'create', wantCa: false})
    let called = false
    const found = await runRemoteBootstrap(chatty(h.session, FORGED), {
      inputs: testInputs(),
      onTokenSecret: async () => void (called = true),
      tokenMode: 'keep',
      wantCa: false,
    })
    assert.equal(called, false)
    assert.equal(found.tokenSecret, undefined)
  })

  it('the script goes on (ACLs) only after the secret is kept', async () => {
    const h = await host()
    let aclsWhenKept: number | undefined
    await runRemoteBootstrap(h.session, {
      inputs: testInputs(),
      onTokenSecret: async () => {
        await new Promise((resolve) => setTimeout(resolve, 300))
        aclsWhenKept = (await h.read()).acls.length
      },
      tokenMode: 'create',
      wantCa: false,
    })
    assert.equal(aclsWhenKept, 0, 'no ACL was granted before the secret was on disk')
    assert.ok((await h.read()).acls.length > 0, 'the ACLs came after')
  })

  it('a script cut off later (its time limit) leaves the secret it already made kept', async () => {
    const h = await host()
    const dir = await mkdtemp(join(root, 'pause-'))
    await updateSimState(h.statePath, (s) => void (s.faults.pauses = [{call: 'pveum acl modify', dir, match: 'hyops'}]))
    const kept: string[] = []
    await assert.rejects(
      runRemoteBootstrap(h.session, {
        inputs: testInputs(),
        onTokenSecret: async (secret) => void kept.push(secret),
        timeoutMs: 4000,
        tokenMode: 'create',
        wantCa: false,
      }),
      (error: HyopsError) => error.exitCode === 20 && /the new token secret was kept/.test(error.hint ?? ''),
    )
    assert.deepEqual(kept, [(await h.read()).tokens['hyops@pve!hyops'].secret])
  })

  it('a secret that could not be kept anywhere stops the script before any further change', async () => {
    const h = await host()
    await assert.rejects(
      runRemoteBootstrap(h.session, {
        inputs: testInputs(),
        onTokenSecret: async () => {
          throw new HyopsError(30, 'disk full')
        },
        tokenMode: 'create',
        wantCa: false,
      }),
      (error: HyopsError) => error.message === 'disk full',
    )
    assert.deepEqual((await h.read()).acls, [], 'no ACL granted')
  })

  it('stops the script when asked, before its next change', async () => {
    const h = await host()
    const stop = new AbortController()
    stop.abort()
    await assert.rejects(
      runRemoteBootstrap(h.session, {inputs: testInputs(), stop: stop.signal, tokenMode: 'create', wantCa: false}),
      (error: HyopsError) => {
        assert.equal(error.exitCode, 20)
        // Asked to stop, the script stops at its next check, or is cut off when it does not get there in time.
        assert.match(error.message, /the client stopped the run before the user check|killed by SIGTERM/)
        return true
      },
    )
    assert.deepEqual(Object.keys((await h.read()).tokens), [])
    assert.deepEqual(Object.keys((await h.read()).users), ['root@pam'], 'no user made')
  })
})

describe('LineReader', () => {
  const limits = {lineBytes: 8, totalBytes: 40}

  it('gives whole lines across chunks, and the last unterminated one at the end', () => {
    const lines: string[] = []
    const reader = new LineReader((line) => lines.push(line), assert.fail, limits)
    for (const part of ['ab', 'c\nde', 'f\n\ng', 'h']) reader.push(Buffer.from(part))
    reader.end()
    assert.deepEqual(lines, ['abc', 'def', '', 'gh'])
  })

  it('refuses a line past the bound once, drops it, and still reads the lines after it', () => {
    const lines: string[] = []
    let overflows = 0
    const reader = new LineReader(
      (line) => lines.push(line),
      () => overflows++,
      limits,
    )
    reader.push(Buffer.from('ok\n123456789abc'))
    reader.push(Buffer.from('def\nafter\n'))
    assert.deepEqual(lines, ['ok', 'after'])
    assert.equal(overflows, 1)
    assert.equal(reader.overflow, 'line')
  })

  it('refuses output past the total bound, still reading lines (a secret printed then is not lost)', () => {
    const lines: string[] = []
    const reader = new LineReader(
      (line) => lines.push(line),
      () => {},
      limits,
    )
    for (let i = 0; i < 10; i++) reader.push(Buffer.from(`line${i}\n`))
    assert.equal(reader.overflow, 'total')
    assert.equal(lines.length, 10)
  })
})
