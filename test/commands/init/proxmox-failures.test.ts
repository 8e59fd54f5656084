// hyops init proxmox when things go wrong (docs/proxmox.md, "Failures and what is left behind", and the lock):
// faults of the simulated host, outputs that cannot be written, concurrent runs. What must
// hold after each: the contract's exit code, no ready marker that lies, nothing the user had
// lost, every secret the host handed out on disk in the vault, and nowhere it must not be.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it, type TestContext} from 'node:test'

import type {SimFaults} from '../../fixtures/pve-sim/index.js'
import {startPveSim, type PveSim} from '../../fixtures/pve-sim/index.js'
import {cleanupTempDirs, type CliRun} from '../../helpers/cli.js'
import {
  apiStatus,
  fileBytes,
  initProxmox,
  prepareRoot,
  readMarkerJson,
  secretLeaks,
  vaultValues,
  type ProxmoxRoot,
} from '../../helpers/proxmox-env.js'

const NO_STACK = /\n\s+at \S/

let sim: PveSim
const secretsSeen = new Set<string>()

async function assertNoLeaks(at: ProxmoxRoot, runs: CliRun[]): Promise<void> {
  for (const token of Object.values((await sim.readState()).tokens)) secretsSeen.add(token.secret)
  assert.deepEqual(await secretLeaks(at, [...secretsSeen], runs, await sim.execLog()), [])
}

async function hostSecret(tokenId: string): Promise<string | undefined> {
  const secret = (await sim.readState()).tokens[tokenId]?.secret
  if (secret) secretsSeen.add(secret)
  return secret
}

async function readyRoot(): Promise<{at: ProxmoxRoot; run: CliRun; secret: string}> {
  const at = await prepareRoot(sim)
  const run = await initProxmox(at)
  assert.equal(run.code, 0, run.stderr)
  const secret = await hostSecret(at.tokenId)
  assert.ok(secret)
  return {at, run, secret}
}

/** Runs `fn` with faults switched on, and always switches them off again. */
async function withFaults<T>(faults: SimFaults, fn: () => Promise<T>): Promise<T> {
  await sim.updateState((s) => void Object.assign(s.faults, faults))
  try {
    return await fn()
  } finally {
    await sim.updateState((s) => void (s.faults = {}))
  }
}

/** The files a failed run must leave as they were. */
async function outputs(at: ProxmoxRoot): Promise<Record<string, Buffer | undefined>> {
  return {
    credentials: await fileBytes(at.credentialsFile),
    marker: await fileBytes(at.markerFile),
    vault: await fileBytes(at.vaultFile),
  }
}

function tokenAdds(log: string[][], from: number): number {
  return log.slice(from).filter((argv) => argv[0] === 'pveum' && argv[2] === 'token' && argv[3] === 'add').length
}

/**
 * Makes `dir` a folder nothing can be written into, even by root (these tests run as root,
 * for which permission bits mean nothing): the ext4 immutable flag (`chattr +i`), else a
 * read-only tmpfs mounted over it. Returns the undo; skips the test when neither works here.
 */
function makeUnwritable(t: TestContext, dir: string): (() => void) | undefined {
  if (spawnSync('chattr', ['+i', dir]).status === 0) return () => void spawnSync('chattr', ['-i', dir])
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir]).status === 0)
    return () => void spawnSync('umount', [dir])
  t.skip('neither chattr +i nor a read-only tmpfs mount works on this machine')
  return undefined
}

describe('hyops init proxmox failures against the simulated host', () => {
  before(async () => {
    sim = await startPveSim()
  })
  after(async () => {
    await sim?.stop()
    await cleanupTempDirs()
  })

  it('--non-interactive with no secret anywhere: exit 21, no marker, nothing created on the ' + 'host', async () => {
    const at = await prepareRoot(sim)
    const state = await sim.readState()
    const execBefore = (await sim.execLog()).length
    const run = await initProxmox(at, ['--non-interactive'])
    assert.equal(run.code, 21, run.stderr)
    assert.match(run.stderr, /PROXMOX_TOKEN_SECRET/)
    assert.doesNotMatch(run.stderr, NO_STACK)
    assert.deepEqual(await outputs(at), {credentials: undefined, marker: undefined, vault: undefined})
    assert.deepEqual(await sim.readState(), state, 'the host is unchanged')
    assert.equal(state.tokens[at.tokenId], undefined)
    assert.equal((await sim.execLog()).length, execBefore, 'nothing ran on the host')
    await assertNoLeaks(at, [run])
  })

  it('token creation failing on a fresh root: exit 20 with the cause, no marker, no credentials', async () => {
    const at = await prepareRoot(sim)
    const run = await withFaults({token_add_fails: true}, () => initProxmox(at))
    assert.equal(run.code, 20, run.stderr)
    assert.match(run.stderr, /cannot create the token/)
    assert.doesNotMatch(run.stderr, NO_STACK)
    assert.equal(await fileBytes(at.markerFile), undefined)
    assert.equal(await fileBytes(at.credentialsFile), undefined)
    assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, undefined)
    assert.equal(await hostSecret(at.tokenId), undefined)
    await assertNoLeaks(at, [run])
  })

  it(
    'token creation failing under --force for a new token name: exit 20; the previous marker, ' +
      'credentials and vault untouched',
    async () => {
      const {at, run: first, secret} = await readyRoot()
      const before = await outputs(at)
      const run = await withFaults({token_add_fails: true}, () =>
        initProxmox(at, ['--force', '--token-name', 'other-token']),
      )
      assert.equal(run.code, 20, run.stderr)
      assert.match(run.stderr, /cannot create the token automation@pam!other-token/)
      assert.deepEqual(await outputs(at), before)
      assert.equal((await readMarkerJson(at))?.status, 'ready')
      assert.equal(await apiStatus(sim, at.tokenId, secret), 200, 'the old token still works')
      await assertNoLeaks(at, [first, run])
    },
  )

  it(
    '--force with token creation failing after the old token was removed: exit 20; the marker ' +
      'turns not ready (the old secret is dead), credentials and vault as they were',
    async () => {
      const {at, run: first, secret: old} = await readyRoot()
      const before = await outputs(at)
      const run = await withFaults({token_add_fails: true}, () => initProxmox(at, ['--force']))
      assert.equal(run.code, 20, run.stderr)
      assert.match(run.stderr, /old token was removed/)
      assert.equal(await hostSecret(at.tokenId), undefined, 'the host has no token now')
      assert.equal(await apiStatus(sim, at.tokenId, old), 401)
      const marker = await readMarkerJson(at)
      assert.ok(marker)
      assert.equal(marker.status, 'not_ready')
      assert.match(
        String(marker.reason),
        /token removed by run init-proxmox-\S+, which then failed: .*cannot create the token/,
      )
      assert.deepEqual(
        {credentials: await fileBytes(at.credentialsFile), vault: await fileBytes(at.vaultFile)},
        {credentials: before.credentials, vault: before.vault},
      )

      const again = await initProxmox(at, ['--force'])
      assert.equal(again.code, 0, again.stderr)
      assert.equal((await readMarkerJson(at))?.status, 'ready')
      assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, await hostSecret(at.tokenId))
      await assertNoLeaks(at, [first, run, again])
    },
  )

  it(
    'the script failing (exit 7) on a re-run: exit 20; the previous marker, credentials and ' + 'vault untouched',
    async () => {
      const {at, run: first} = await readyRoot()
      const before = await outputs(at)
      const run = await withFaults({script_exit: 7}, () => initProxmox(at))
      assert.equal(run.code, 20, run.stderr)
      assert.match(run.stderr, /remote bootstrap .* failed \(exit 7\)/)
      assert.deepEqual(await outputs(at), before)
      await assertNoLeaks(at, [first, run])
    },
  )

  it(
    'discovery failing (pvesh) under --force: exit 20 before anything changed; marker, ' +
      'credentials, vault and the token untouched',
    async () => {
      const {at, run: first, secret} = await readyRoot()
      const before = await outputs(at)
      // storage.cfg unreadable, so discovery asks pvesh, which fails.
      const run = await withFaults({pvesh_fails: true}, async () => {
        await rm(join(sim.pveEtcDir, 'storage.cfg'))
        return initProxmox(at, ['--force'])
      })
      assert.equal(run.code, 20, run.stderr)
      assert.match(run.stderr, /pvesh/)
      assert.deepEqual(await outputs(at), before)
      assert.equal(await hostSecret(at.tokenId), secret, 'not rotated')
      await assertNoLeaks(at, [first, run])
    },
  )

  it('SSH refusing the key: exit 20 naming the cause; nothing written', async () => {
    const at = await prepareRoot(sim)
    const run = await withFaults({ssh_refuse_key: true}, () => initProxmox(at))
    assert.equal(run.code, 20, run.stderr)
    assert.match(run.stderr, /auth|key/i)
    assert.equal(await fileBytes(at.markerFile), undefined)
    assert.equal(await fileBytes(at.credentialsFile), undefined)
    await assertNoLeaks(at, [run])
  })

  it(
    'the API refusing the new token (403): exit 21, no marker, and the secret the host made is ' + 'in the vault',
    async () => {
      const at = await prepareRoot(sim)
      const run = await withFaults({api_status: 403}, () => initProxmox(at))
      assert.equal(run.code, 21, run.stderr)
      assert.match(run.stderr, /403/)
      const secret = await hostSecret(at.tokenId)
      assert.ok(secret)
      assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, secret)
      assert.equal(await fileBytes(at.markerFile), undefined)
      await assertNoLeaks(at, [run])
    },
  )

  it(
    'a directory in place of the credentials file: exit 30, no marker, the new secret in the ' +
      'vault; a re-run recovers without rotating',
    async () => {
      const at = await prepareRoot(sim)
      await mkdir(at.credentialsFile, {recursive: true})
      await writeFile(join(at.credentialsFile, 'keep-me'), 'not yours\n')
      const run = await initProxmox(at)
      assert.equal(run.code, 30, run.stderr)
      assert.ok(run.stderr.includes(at.credentialsFile), 'the path is named')
      assert.match(run.stderr, /directory/)
      assert.doesNotMatch(run.stderr, NO_STACK)
      assert.equal(await fileBytes(at.markerFile), undefined)
      const secret = await hostSecret(at.tokenId)
      assert.ok(secret)
      assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, secret)
      assert.equal(await readFile(join(at.credentialsFile, 'keep-me'), 'utf8'), 'not yours\n')
      await assertNoLeaks(at, [run])

      await rm(at.credentialsFile, {force: true, recursive: true})
      const from = (await sim.execLog()).length
      const again = await initProxmox(at)
      assert.equal(again.code, 0, again.stderr)
      assert.equal(tokenAdds(await sim.execLog(), from), 0, 'the kept secret was used, not a new token')
      assert.equal(await hostSecret(at.tokenId), secret)
      assert.equal((await readMarkerJson(at))?.status, 'ready')
      await assertNoLeaks(at, [run, again])
    },
  )

  it(
    'a read-only credentials folder on a fresh root: exit 30, no marker, the new secret in the ' + 'vault',
    async (t) => {
      const at = await prepareRoot(sim)
      const folder = join(at.root, 'credentials')
      await mkdir(folder, {mode: 0o700, recursive: true})
      const undo = makeUnwritable(t, folder)
      if (!undo) return
      let run: CliRun
      try {
        run = await initProxmox(at)
      } finally {
        undo()
      }

      assert.equal(run.code, 30, run.stderr)
      assert.ok(run.stderr.includes(at.credentialsFile), 'the path is named')
      assert.equal(await fileBytes(at.markerFile), undefined)
      assert.equal(await fileBytes(at.credentialsFile), undefined)
      const secret = await hostSecret(at.tokenId)
      assert.ok(secret)
      assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, secret)
      await assertNoLeaks(at, [run])
    },
  )

  it(
    'a read-only credentials folder under --force on a ready root: exit 30, the marker turns ' +
      'not ready, the new secret in the vault, the old credentials file as it was',
    async (t) => {
      const {at, run: first, secret: old} = await readyRoot()
      const credentials = await fileBytes(at.credentialsFile)
      const undo = makeUnwritable(t, join(at.root, 'credentials'))
      if (!undo) return
      let run: CliRun
      try {
        run = await initProxmox(at, ['--force'])
      } finally {
        undo()
      }

      assert.equal(run.code, 30, run.stderr)
      const fresh = await hostSecret(at.tokenId)
      assert.ok(fresh && fresh !== old, 'the token was rotated on the host')
      assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, fresh)
      assert.deepEqual(await fileBytes(at.credentialsFile), credentials)
      const marker = await readMarkerJson(at)
      assert.ok(marker)
      assert.notEqual(marker.status, 'ready')
      assert.match(String(marker.reason), /rotated/)
      await assertNoLeaks(at, [first, run])

      const again = await initProxmox(at)
      assert.equal(again.code, 0, again.stderr)
      assert.equal(await hostSecret(at.tokenId), fresh, 'the re-run kept the rotated token')
      assert.equal((await readMarkerJson(at))?.status, 'ready')
      await assertNoLeaks(at, [first, run, again])
    },
  )

  it('two concurrent inits on one root never interleave: one token made, step windows apart', async () => {
    const at = await prepareRoot(sim)
    const from = (await sim.execLog()).length
    const runs = await Promise.all([initProxmox(at), initProxmox(at)])
    for (const run of runs) {
      if (run.code !== 0) {
        assert.equal(run.code, 2, run.stderr)
        assert.match(run.stderr, /another hyops init on .* is in progress/)
      }
    }

    assert.ok(
      runs.some((run) => run.code === 0),
      runs.map((run) => run.stderr).join('\n'),
    )
    assert.equal(tokenAdds(await sim.execLog(), from), 1, 'one token, made once')
    assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, await hostSecret(at.tokenId))
    const windows = await stepWindows(at)
    assert.equal(windows.length, runs.filter((run) => run.code === 0).length)
    if (windows.length === 2) {
      const [a, b] = windows.sort((x, y) => x.start - y.start)
      assert.ok(a.end <= b.start, `the runs' steps overlap: ${JSON.stringify(windows)}`)
    }

    await assertNoLeaks(at, runs)
  })

  it('a lock held by a live process: the run waits, then exits 2 with a clear message and writes nothing', async () => {
    const at = await prepareRoot(sim)
    await mkdir(join(at.root, 'meta'), {mode: 0o700, recursive: true})
    const lock = join(at.root, 'meta', '.init.lock')
    await writeFile(lock, `${process.pid}\n`)
    const started = Date.now()
    const run = await initProxmox(at)
    assert.equal(run.code, 2, run.stderr)
    assert.match(
      run.stderr,
      new RegExp(`another hyops init on .* is in progress \\(lock ${lock}, pid ${process.pid}\\)`),
    )
    assert.ok(Date.now() - started >= 4000, 'it waited for the holder first')
    assert.deepEqual(await outputs(at), {credentials: undefined, marker: undefined, vault: undefined})
    assert.equal(await readFile(lock, 'utf8'), `${process.pid}\n`, "another's lock is left alone")
  })
})

/** The time span of the steps of each run that got past the lock, from its evidence. */
async function stepWindows(at: ProxmoxRoot): Promise<Array<{start: number; end: number}>> {
  const base = join(at.root, 'logs', 'init', 'proxmox')
  const windows: Array<{start: number; end: number}> = []
  for (const runId of await readdir(base)) {
    const text = await readFile(join(base, runId, 'steps.jsonl'), 'utf8').catch(() => '')
    const steps = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as {started_at: string; duration_ms: number})
    if (steps.length === 0) continue
    windows.push({
      end: Math.max(...steps.map((s) => Date.parse(s.started_at) + s.duration_ms)),
      start: Math.min(...steps.map((s) => Date.parse(s.started_at))),
    })
  }

  return windows
}
