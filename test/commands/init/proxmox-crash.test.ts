// The crash test: `hyops init proxmox` stopped with SIGKILL, SIGINT and SIGTERM at each step boundary of a first
// run, a --force run and a renewal (remove + add, and in place on 9.1), and `hyops revoke` before each removal.
// The simulated host pauses at the named step (state.faults.pauses) so the signal lands exactly there. After each
// stop: a token the host made has its secret in the vault or the 0600 credentials file; the marker says `ready`
// only if the credentials on disk work against the host; a stopped SIGINT/SIGTERM run printed one line and
// released the lock; and a re-run without --force completes without rotating whenever the secret was received
// (a second revoke finishes the revoke). Prints the tally.
import assert from 'node:assert/strict'
import {type ChildProcess, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {removeAccount, type SimCluster, startClusterSim} from '../../fixtures/pve-sim/cluster/index.js'
import {startPveSim, type PveSim} from '../../fixtures/pve-sim/index.js'
import {cleanupTempDirs, type CliRun, runCli, tempDir} from '../../helpers/cli.js'
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

type Mode = 'first' | 'force' | 'renew'
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
  // A renewal 27 days on, where the host cannot regenerate (remove + add, like a rotation)...
  renew: [
    {call: 'pveum user token remove', secretReceived: false},
    {call: 'pveum user token add', secretReceived: false},
    {call: 'api', secretReceived: true},
  ],
}
// ...and on 9.1, in place: one token modify --regenerate, then the API.
const REGENERATE_POINTS: KillPoint[] = [
  {call: 'pveum user token modify', secretReceived: false},
  {call: 'api', secretReceived: true},
]
// hyops revoke: before each removal on the host (the token, the user hyops made, the unused role).
const REVOKE_POINTS = ['pveum user token remove', 'pveum user delete', 'pveum role delete']
const DAY = 86_400
/** The clocks of a renewal run: 27 days on (the host's clock is moved with it in `renewChain`). */
const RENEW_ENV = {HYOPS_TEST_CLOCK_OFFSET: String(27 * DAY)}
const SIGNALS: Signal[] = ['SIGKILL', 'SIGINT', 'SIGTERM']
const EXIT_CODES: Record<Exclude<Signal, 'SIGKILL'>, number> = {SIGINT: 130, SIGTERM: 143}
const NO_STACK = /\n\s+at \S/

let sim: PveSim
let sim91: PveSim
const tally = {killPoints: 0, lyingMarkers: 0, reruns: 0, secretsLost: 0}

async function waitFor(path: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Whether the credentials on disk (tfvars) work against the simulated API. */
async function credentialsWork(at: ProxmoxRoot, host: PveSim = sim): Promise<boolean> {
  const text = await readFile(at.credentialsFile, 'utf8').catch(() => '')
  const id = /^proxmox_token_id\s*=\s*"([^"]*)"/m.exec(text)?.[1]
  const secret = /^proxmox_token_secret\s*=\s*"([^"]*)"/m.exec(text)?.[1]
  return Boolean(id && secret) && (await apiStatus(host, id!, secret!)) === 200
}

async function secretOnDisk(at: ProxmoxRoot, secret: string): Promise<boolean> {
  if ((await vaultValues(at)).PROXMOX_TOKEN_SECRET === secret) return true
  return (await readFile(at.credentialsFile, 'utf8').catch(() => '')).includes(`"${secret}"`)
}

function freshRoot(extraConfig: Record<string, string | number> = {}, host = sim): Promise<ProxmoxRoot> {
  return prepareRoot(host, {extraConfig, userFq: `c${randomBytes(3).toString('hex')}@pam`})
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

/**
 * Renewals of one signal on one host: each kill point on a root of its own (TOKEN_EXPIRE=30, made at the real
 * time), renewed by a run 27 days on. The host's clock runs 27 days ahead for the whole chain; the roots of the
 * other tests never expire, so they do not notice.
 */
async function renewChain(host: PveSim, points: KillPoint[], signal: Signal): Promise<void> {
  for (const point of points) {
    const at = await freshRoot({TOKEN_EXPIRE: 30}, host)
    await host.updateState((s) => void delete s.clock_offset_s)
    const setup = await initProxmox(at)
    assert.equal(setup.code, 0, setup.stderr)
    await host.updateState((s) => void (s.clock_offset_s = 27 * DAY))
    await crash(at, 'renew', point, signal, [setup], host)
  }
}

/**
 * hyops revoke stopped before each removal on the host: the marker never says ready over dead credentials, and a
 * second revoke finishes (marker revoked, vault keys and credentials gone, the token gone from the host).
 */
async function revokeCrash(call: string, signal: Signal): Promise<void> {
  const role = `HyopsC${randomBytes(3).toString('hex')}`
  const at = await freshRoot({ROLE_NAME: role})
  const setup = await initProxmox(at)
  assert.equal(setup.code, 0, setup.stderr)
  const where = `revoke, ${signal} before ${call}`
  const dir = await tempDir('hyops-crash-')
  const match = call === 'pveum role delete' ? role : at.userFq
  await sim.updateState((s) => void (s.faults.pauses = [...(s.faults.pauses ?? []), {call, dir, match}]))
  let child: ChildProcess | undefined
  const revoke = (onSpawn?: (c: ChildProcess) => void) =>
    runCli(['revoke', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile, '--yes'], {
      env: {HOME: at.home},
      onSpawn,
    })
  const running = revoke((c) => (child = c))
  try {
    await waitFor(join(dir, 'paused'))
  } catch (error) {
    child?.kill('SIGKILL')
    const run = await running
    throw new Error(`${where}: never paused (exit ${run.code}): ${run.stderr}`, {cause: error})
  }

  child!.kill(signal)
  const killed = await running
  await sim.updateState((s) => void (s.faults.pauses = (s.faults.pauses ?? []).filter((p) => p.dir !== dir)))
  tally.killPoints++
  if (signal === 'SIGKILL') assert.equal(killed.signal, 'SIGKILL', where)
  else {
    assert.equal(killed.code, EXIT_CODES[signal], `${where}: ${killed.stderr}`)
    assert.doesNotMatch(killed.stderr, NO_STACK, where)
    assert.ok(!existsSync(join(at.root, 'meta', '.init.lock')), `${where}: the lock is released`)
  }

  const marker = await readMarkerJson(at)
  const lying = marker?.status === 'ready' && !(await credentialsWork(at))
  if (lying) tally.lyingMarkers++
  assert.ok(!lying, `${where}: a ready marker over dead credentials`)
  if ((await sim.readState()).tokens[at.tokenId] === undefined)
    assert.notEqual(marker?.status, 'ready', `${where}: the token is gone but the marker says ready`)

  const again = await revoke()
  tally.reruns++
  assert.equal(again.code, 0, `${where}, second revoke: ${again.stderr}`)
  assert.equal((await readMarkerJson(at))?.status, 'revoked', where)
  assert.equal((await sim.readState()).tokens[at.tokenId], undefined, where)
  assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, undefined, where)
  assert.ok(!existsSync(at.credentialsFile), `${where}: the credentials file is gone`)
  assert.deepEqual(await secretLeaks(at, [], [killed, again], await sim.execLog()), [], where)
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

async function crash(
  at: ProxmoxRoot,
  mode: Mode,
  point: KillPoint,
  signal: Signal,
  before: CliRun[] = [],
  host: PveSim = sim,
) {
  const sim = host
  const runs: CliRun[] = [...before]
  const oldSecret = (await sim.readState()).tokens[at.tokenId]?.secret
  const env = mode === 'renew' ? RENEW_ENV : {}

  const dir = await tempDir('hyops-crash-')
  const match = point.call === 'api' ? at.tokenName : at.userFq
  await sim.updateState((s) => void (s.faults.pauses = [...(s.faults.pauses ?? []), {call: point.call, dir, match}]))
  let child: ChildProcess | undefined
  const args = mode === 'force' ? ['--force'] : mode === 'renew' ? ['--non-interactive'] : []
  const running = initProxmox(at, args, env, {onSpawn: (c) => (child = c)})
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
  if (marker?.status === 'ready' && !(await credentialsWork(at, sim))) tally.lyingMarkers++
  assert.ok(
    marker?.status !== 'ready' || (await credentialsWork(at, sim)),
    `${where}: a ready marker over dead credentials`,
  )

  if (madeHere) {
    const rerun = await initProxmox(at, [], env)
    runs.push(rerun)
    tally.reruns++
    assert.equal(rerun.code, 0, `${where}, re-run: ${rerun.stderr}`)
    assert.equal(
      (await sim.readState()).tokens[at.tokenId]?.secret,
      token.secret,
      `${where}: the re-run kept the token`,
    )
    assert.equal((await readMarkerJson(at))?.status, 'ready')
    assert.ok(await credentialsWork(at, sim), `${where}: the re-run's credentials work`)
  }

  const secrets = Object.values((await sim.readState()).tokens).map((t) => t.secret)
  assert.deepEqual(await secretLeaks(at, secrets, runs, await sim.execLog()), [], where)
}

describe('hyops init proxmox stopped at every step (crash test)', {concurrency: 6, timeout: 240_000}, () => {
  before(async () => {
    sim = await startPveSim()
  })

  for (const point of POINTS.first)
    for (const signal of SIGNALS)
      it(`first run, ${signal} just before ${point.call}`, async () => crash(await freshRoot(), 'first', point, signal))
  for (const signal of SIGNALS)
    it(`--force run, ${signal} just before ${POINTS.force.map((p) => p.call).join(', ')} in turn`, () =>
      forceChain(signal))
})

describe('renewal and hyops revoke stopped at every step (crash test)', {concurrency: 3, timeout: 900_000}, () => {
  // The host of the first suite goes on serving here (the legacy profile: no --regenerate), beside a 9.1 one.
  before(async () => {
    sim91 = await startPveSim({profile: 'pve9.1', state: {auth_fail_delay_ms: 50}})
  })
  after(async () => {
    process.stdout.write(
      `# crash test: ${tally.killPoints} kill points tried, secrets lost = ${tally.secretsLost}, ` +
        `lying markers = ${tally.lyingMarkers}, re-runs without --force = ${tally.reruns}\n`,
    )
    await sim?.stop()
    await sim91?.stop()
    await cleanupTempDirs()
    assert.equal(tally.secretsLost, 0, 'secrets lost')
    assert.equal(tally.lyingMarkers, 0, 'lying markers')
  })

  for (const signal of SIGNALS) {
    it(`renewal by remove + add, ${signal} just before ${POINTS.renew.map((p) => p.call).join(', ')}`, () =>
      renewChain(sim, POINTS.renew, signal))
    it(`renewal in place (9.1), ${signal} just before ${REGENERATE_POINTS.map((p) => p.call).join(', ')}`, () =>
      renewChain(sim91, REGENERATE_POINTS, signal))
  }

  for (const call of REVOKE_POINTS)
    for (const signal of SIGNALS) it(`hyops revoke, ${signal} just before ${call}`, () => revokeCrash(call, signal))
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
