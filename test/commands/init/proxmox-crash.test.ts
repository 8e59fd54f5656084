// The crash test (issue 11, acceptance 1): `hyops init proxmox` stopped with SIGKILL, SIGINT and SIGTERM at
// each step boundary of a first run and of a --force run. The simulated host pauses at the named step
// (state.faults.pauses) so the signal lands exactly there. After each stop: a token the host made has its
// secret in the vault or the 0600 credentials file; the marker says `ready` only if the credentials on disk
// work against the host; a stopped SIGINT/SIGTERM run printed one line and released the lock; and a re-run
// without --force completes without rotating whenever the secret was received. Prints the tally.
import assert from 'node:assert/strict'
import {type ChildProcess, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {removeAccount, type SimCluster, startClusterSim} from '../../fixtures/pve-sim/cluster/index.js'
import {startPveSim, type PveSim} from '../../fixtures/pve-sim/index.js'
import {cleanupTempDirs, type CliRun, tempDir} from '../../helpers/cli.js'
import {
  apiStatus,
  initProxmox,
  prepareRoot,
  readMarkerJson,
  secretLeaks,
  vaultValues,
  type ProxmoxRoot,
} from '../../helpers/proxmox-env.js'
import {uniqueAccount} from '../../lib/proxmox/provider-account/helpers.js'

type Mode = 'first' | 'force'
type Signal = 'SIGKILL' | 'SIGINT' | 'SIGTERM'

interface KillPoint {
  /** The host step the run is stopped just before (`api`: the token's validation). */
  call: string
  /** True when the host has handed over the new secret by then. */
  secretReceived: boolean
}

const POINTS: Record<Mode, KillPoint[]> = {
  first: [
    {call: 'pveum user add', secretReceived: false},
    {call: 'pveum user token add', secretReceived: false},
    {call: 'pveum acl modify', secretReceived: true},
    {call: 'api', secretReceived: true},
  ],
  // A rotation makes no host call after the token add (the user keeps its grant): the next stop is the API.
  force: [
    {call: 'pveum user token remove', secretReceived: false},
    {call: 'pveum user token add', secretReceived: false},
    {call: 'api', secretReceived: true},
  ],
}
const SIGNALS: Signal[] = ['SIGKILL', 'SIGINT', 'SIGTERM']
const EXIT_CODES: Record<Exclude<Signal, 'SIGKILL'>, number> = {SIGINT: 130, SIGTERM: 143}
const NO_STACK = /\n\s+at \S/

let sim: PveSim
const tally = {killPoints: 0, lyingMarkers: 0, reruns: 0, secretsLost: 0}

async function waitFor(path: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Whether the credentials on disk (tfvars) work against the simulated API. */
async function credentialsWork(at: ProxmoxRoot): Promise<boolean> {
  const text = await readFile(at.credentialsFile, 'utf8').catch(() => '')
  const id = /^proxmox_token_id\s*=\s*"([^"]*)"/m.exec(text)?.[1]
  const secret = /^proxmox_token_secret\s*=\s*"([^"]*)"/m.exec(text)?.[1]
  return Boolean(id && secret) && (await apiStatus(sim, id!, secret!)) === 200
}

async function secretOnDisk(at: ProxmoxRoot, secret: string): Promise<boolean> {
  if ((await vaultValues(at)).PROXMOX_TOKEN_SECRET === secret) return true
  return (await readFile(at.credentialsFile, 'utf8').catch(() => '')).includes(`"${secret}"`)
}

function freshRoot(): Promise<ProxmoxRoot> {
  return prepareRoot(sim, {userFq: `c${randomBytes(3).toString('hex')}@pam`})
}

/**
 * The --force runs of one signal share a root, one kill point after the other (cheaper than a first run for
 * each): each point leaves the root where the next one can start from (the last, before `token add`, leaves the
 * host without the token).
 */
async function forceChain(signal: Signal): Promise<void> {
  const at = await freshRoot()
  const setup = await initProxmox(at)
  assert.equal(setup.code, 0, setup.stderr)
  for (const point of POINTS.force) await crash(at, 'force', point, signal, [setup])
}

/** How a stopped run ended: killed, or (SIGINT/SIGTERM) one line, the documented exit code and the lock released. */
function assertStopped(killed: CliRun, signal: Signal, at: ProxmoxRoot, where: string): void {
  if (signal === 'SIGKILL') assert.equal(killed.signal, 'SIGKILL', where)
  else {
    assert.equal(killed.code, EXIT_CODES[signal], `${where}: ${killed.stderr}`)
    assert.match(killed.stderr, new RegExp(`^Interrupted by ${signal}: [^\\n]+$`, 'm'), where)
    assert.doesNotMatch(killed.stderr, NO_STACK, where)
    assert.ok(!existsSync(join(at.root, 'meta', '.init.lock')), `${where}: the lock is released`)
  }
}

async function crash(at: ProxmoxRoot, mode: Mode, point: KillPoint, signal: Signal, before: CliRun[] = []) {
  const runs: CliRun[] = [...before]
  const oldSecret = (await sim.readState()).tokens[at.tokenId]?.secret

  const dir = await tempDir('hyops-crash-')
  const match = point.call === 'api' ? at.tokenName : at.userFq
  await sim.updateState((s) => void (s.faults.pauses = [...(s.faults.pauses ?? []), {call: point.call, dir, match}]))
  let child: ChildProcess | undefined
  const running = initProxmox(at, mode === 'force' ? ['--force'] : [], {}, {onSpawn: (c) => (child = c)})
  try {
    await waitFor(join(dir, 'paused'))
  } catch (error) {
    child?.kill('SIGKILL')
    const run = await running
    throw new Error(`${mode} ${point.call}: never paused (exit ${run.code}): ${run.stderr}`, {cause: error})
  }

  child!.kill(signal)
  const killed = await running
  runs.push(killed)
  await sim.updateState((s) => void (s.faults.pauses = (s.faults.pauses ?? []).filter((p) => p.dir !== dir)))
  const where = `${mode} run, ${signal} before ${point.call}`
  tally.killPoints++

  assertStopped(killed, signal, at, where)

  const token = (await sim.readState()).tokens[at.tokenId]
  const madeHere = token !== undefined && token.secret !== oldSecret
  if (madeHere && !(await secretOnDisk(at, token.secret))) tally.secretsLost++
  assert.ok(!madeHere || (await secretOnDisk(at, token.secret)), `${where}: the host's new secret is on disk`)
  if (point.secretReceived) assert.ok(madeHere, `${where}: the host made the token`)
  if (signal !== 'SIGKILL' && madeHere) assert.match(killed.stderr, /new secret of \S+ is in /, where)

  const marker = await readMarkerJson(at)
  if (marker?.status === 'ready' && !(await credentialsWork(at))) tally.lyingMarkers++
  assert.ok(marker?.status !== 'ready' || (await credentialsWork(at)), `${where}: a ready marker over dead credentials`)

  if (madeHere) {
    const rerun = await initProxmox(at)
    runs.push(rerun)
    tally.reruns++
    assert.equal(rerun.code, 0, `${where}, re-run: ${rerun.stderr}`)
    assert.equal(
      (await sim.readState()).tokens[at.tokenId]?.secret,
      token.secret,
      `${where}: the re-run kept the token`,
    )
    assert.equal((await readMarkerJson(at))?.status, 'ready')
    assert.ok(await credentialsWork(at), `${where}: the re-run's credentials work`)
  }

  const secrets = Object.values((await sim.readState()).tokens).map((t) => t.secret)
  assert.deepEqual(await secretLeaks(at, secrets, runs, await sim.execLog()), [], where)
}

describe('hyops init proxmox stopped at every step (crash test)', {concurrency: 6, timeout: 240_000}, () => {
  before(async () => {
    sim = await startPveSim()
  })
  after(async () => {
    process.stdout.write(
      `# crash test: ${tally.killPoints} kill points tried, secrets lost = ${tally.secretsLost}, ` +
        `lying markers = ${tally.lyingMarkers}, re-runs without --force = ${tally.reruns}\n`,
    )
    await sim?.stop()
    await cleanupTempDirs()
    assert.equal(tally.secretsLost, 0, 'secrets lost')
    assert.equal(tally.lyingMarkers, 0, 'lying markers')
  })

  for (const point of POINTS.first)
    for (const signal of SIGNALS)
      it(`first run, ${signal} just before ${point.call}`, async () => crash(await freshRoot(), 'first', point, signal))
  for (const signal of SIGNALS)
    it(`--force run, ${signal} just before ${POINTS.force.map((p) => p.call).join(', ')} in turn`, () =>
      forceChain(signal))
})

// The provider account's steps (PROVIDER_SSH_USER) on a simulated two-node cluster, stopped while the second node
// is checked (before any node is changed) and while the account proves itself (after both nodes were changed).
// After each stop: wherever the account exists, the key its authorized_keys holds is the vault's (nothing lost);
// a SIGINT/SIGTERM run printed one line and released the lock; a re-run completes with that same key.
const ACCOUNT_POINTS = [
  {call: 'hostname', match: '@pve2', what: 'the check of pve2'},
  {call: 'pvesm apiinfo', match: '', what: "the account's proof"},
]

describe('hyops init proxmox stopped in the provider account steps (crash test)', {timeout: 600_000}, () => {
  let clusterSim: PveSim
  let cluster: SimCluster
  const accounts: string[] = []
  before(async () => {
    ;({cluster, sim: clusterSim} = await startClusterSim('pve8'))
  })
  after(async () => {
    for (const account of accounts) await removeAccount(account)
    await cluster?.stop()
    await clusterSim?.stop()
  })

  for (const point of ACCOUNT_POINTS) {
    for (const signal of SIGNALS) {
      it(`${signal} during ${point.what}`, async () => {
        const account = uniqueAccount()
        accounts.push(account)
        await cluster.registerAccount(account)
        const at = await prepareRoot(clusterSim, {
          extraConfig: {
            PROVIDER_SSH_USER: account,
            PROXMOX_IP: cluster.nodes[0].address,
            PROXMOX_SSH_PORT: cluster.port,
          },
          userFq: `c${randomBytes(3).toString('hex')}@pam`,
        })
        const dir = await tempDir('hyops-crash-')
        const pause = {call: point.call, dir, match: point.match}
        await clusterSim.updateState((s) => void (s.faults.pauses = [...(s.faults.pauses ?? []), pause]))
        let child: ChildProcess | undefined
        const running = initProxmox(at, [], {}, {onSpawn: (c) => (child = c)})
        try {
          await waitFor(join(dir, 'paused'))
        } catch (error) {
          child?.kill('SIGKILL')
          const run = await running
          throw new Error(`${point.what}: never paused (exit ${run.code}): ${run.stderr}`, {cause: error})
        }

        child!.kill(signal)
        const killed = await running
        await clusterSim.updateState(
          (s) => void (s.faults.pauses = (s.faults.pauses ?? []).filter((p) => p.dir !== dir)),
        )
        // The paused command on the node is let go (a real one was never held up).
        await writeFile(join(dir, 'resume'), '')
        const where = `${signal} during ${point.what}`
        assertStopped(killed, signal, at, where)

        const authorized = await authorizedKey(account)
        if (point.what === 'the check of pve2') assert.equal(authorized, undefined, `${where}: no node was changed`)
        if (authorized !== undefined) {
          const vaultKey = (await vaultValues(at)).PROXMOX_PROVIDER_SSH_KEY
          assert.ok(vaultKey, `${where}: the account's key is in the vault`)
          assert.equal(authorized, await publicBlob(vaultKey), `${where}: the node holds the vault's key`)
        }

        const rerun = await initProxmox(at)
        assert.equal(rerun.code, 0, `${where}, re-run: ${rerun.stderr}`)
        const vaultKey = (await vaultValues(at)).PROXMOX_PROVIDER_SSH_KEY
        assert.equal(await authorizedKey(account), await publicBlob(vaultKey), `${where}: re-run, same key`)
        assert.equal((await readMarkerJson(at))?.provider_ssh?.nodes.length, 2)
      })
    }
  }
})

/** The key blob of the account's authorized_keys, or undefined when there is no such account or file. */
async function authorizedKey(account: string): Promise<string | undefined> {
  const entry = spawnSync('getent', ['passwd', account], {encoding: 'utf8'})
  if (entry.status !== 0) return undefined
  const text = await readFile(join(entry.stdout.split(':')[5], '.ssh', 'authorized_keys'), 'utf8').catch(() => '')
  return /ssh-ed25519 (\S+)/.exec(text)?.[1]
}

async function publicBlob(privateKey: string): Promise<string> {
  const parsed = (await import('ssh2')).default.utils.parseKey(privateKey)
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  if (key instanceof Error) throw key
  return key.getPublicSSH().toString('base64')
}
