// hyops revoke proxmox against the simulated host on 7.4, 8 and 9: what the host loses (the token, the role's
// grant, the user only when hyops made it, the role once unused), what this machine forgets (vault keys, the
// credentials file, the marker as revoked), and what changes nothing (--dry-run, no --yes without a terminal, an
// unreachable host).
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'

import {startPveSim, type PveSim, type SimProfile, type SimState} from '../fixtures/pve-sim/index.js'
import {cleanupTempDirs, type CliRun, runCli} from '../helpers/cli.js'
import {
  apiStatus,
  fileBytes,
  initProxmox,
  prepareRoot,
  readMarkerJson,
  secretLeaks,
  vaultValues,
  type ProxmoxRoot,
} from '../helpers/proxmox-env.js'

const NO_STACK = /\n\s+at \S/

export function revoke(at: ProxmoxRoot, args: string[] = [], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(['revoke', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile, ...args], {
    env: {HOME: at.home, ...env},
  })
}

/** A root with a user and a role of its own (tests share a host). */
interface RevokeRoot extends ProxmoxRoot {
  role: string
}

/** Everything a revoke of this root may change: its user, token, grants and role, and the root's three files. */
async function snapshot(sim: PveSim, at: RevokeRoot) {
  const s: SimState = await sim.readState()
  return {
    acls: JSON.stringify(s.acls.filter((a) => a.ugid === at.userFq || a.ugid === at.tokenId)),
    credentials: await fileBytes(at.credentialsFile),
    marker: await fileBytes(at.markerFile),
    role: s.custom_roles?.[at.role],
    token: s.tokens[at.tokenId]?.secret,
    user: JSON.stringify(s.users[at.userFq]),
    vault: await fileBytes(at.vaultFile),
  }
}

/** The host calls naming this root's user, token or role (tests share a host). */
async function ownCalls(sim: PveSim, at: RevokeRoot): Promise<string[]> {
  return (await sim.hostCalls())
    .filter((argv) => argv.some((arg) => arg.includes(at.userFq) || arg === at.role))
    .map((argv) => argv.slice(0, 3).join(' '))
}

for (const profile of ['pve7.4', 'pve8', 'pve9'] as const satisfies readonly SimProfile[]) {
  describe(`hyops revoke proxmox on ${profile}`, {concurrency: 3, timeout: 240_000}, () => {
    let sim: PveSim
    before(async () => {
      sim = await startPveSim({profile, state: {auth_fail_delay_ms: 20}})
    })
    after(async () => {
      await sim?.stop()
      await cleanupTempDirs()
    })

    /** A root initialised on the host; with `userFirst` the API user exists before hyops runs (not made by it). */
    async function initialised(userFirst = false): Promise<{at: RevokeRoot; runs: CliRun[]}> {
      const id = randomBytes(3).toString('hex')
      const role = `HyopsR${id}`
      const at = {...(await prepareRoot(sim, {extraConfig: {ROLE_NAME: role}, userFq: `r${id}@pve`})), role}
      if (userFirst)
        await sim.updateState((s) => void (s.users[at.userFq] = {comment: 'made by the operator', enable: 1}))
      const run = await initProxmox(at)
      assert.equal(run.code, 0, run.stderr)
      assert.ok((await sim.readState()).custom_roles?.[role], 'init made the role')
      return {at, runs: [run]}
    }

    it('--dry-run, no --yes without a terminal, and an unreachable host change nothing', async () => {
      const {at} = await initialised()
      const before = await snapshot(sim, at)
      const dry = await revoke(at, ['--dry-run'])
      assert.equal(dry.code, 0, dry.stderr)
      assert.match(dry.stdout, /Dry run: nothing was changed/)
      assert.match(dry.stdout, new RegExp(`the token ${at.tokenId.replace(/[.!]/g, '\\$&')} on 127\\.0\\.0\\.1`))
      assert.match(dry.stdout, /PROXMOX_TOKEN_SECRET and PROXMOX_TOKEN_ID from the vault/)
      assert.deepEqual(await snapshot(sim, at), before, '--dry-run changed something')

      const unasked = await revoke(at)
      assert.equal(unasked.code, 2, unasked.stderr)
      assert.match(unasked.stderr, /no terminal can answer.*--yes/)
      assert.doesNotMatch(unasked.stderr, NO_STACK)
      assert.deepEqual(await snapshot(sim, at), before, 'no --yes changed something')

      const callsBefore = await ownCalls(sim, at)
      const gone = await revoke(at, ['--yes'], {HYOPS_PROXMOX_SSH_PORT: '1'})
      assert.equal(gone.code, 20, gone.stderr)
      assert.doesNotMatch(gone.stderr, NO_STACK)
      assert.deepEqual(await snapshot(sim, at), before, 'an unreachable host changed something')
      assert.deepEqual(await ownCalls(sim, at), callsBefore)
      assert.equal((await readMarkerJson(at))?.status, 'ready')
    })

    it('removes the token, the user hyops made and the unused role on the host, then forgets here; once', async () => {
      const {at, runs} = await initialised()
      assert.equal((await readMarkerJson(at))?.token?.user_created, true, 'the marker says hyops made the user')
      const secret = (await vaultValues(at)).PROXMOX_TOKEN_SECRET
      assert.ok(secret)
      assert.equal(await apiStatus(sim, at.tokenId, secret), 200)
      const callsBefore = (await ownCalls(sim, at)).length
      const run = await revoke(at, ['--yes'])
      runs.push(run)
      assert.equal(run.code, 0, run.stderr)
      const s = await sim.readState()
      assert.equal(s.tokens[at.tokenId], undefined, 'the token is gone')
      assert.equal(await apiStatus(sim, at.tokenId, secret), 401)
      assert.ok(
        !s.acls.some((a) => a.ugid === at.userFq || a.ugid === at.tokenId),
        `no grant of the user or token is left: ${JSON.stringify(s.acls)}`,
      )
      assert.equal(s.custom_roles?.[at.role], undefined, 'the unused managed role is gone')
      assert.equal(s.users[at.userFq], undefined, 'the user hyops made is gone')
      const calls = (await ownCalls(sim, at)).slice(callsBefore)
      assert.ok(calls.length <= 3, `at most 3 host calls: ${calls.join('; ')}`)

      const vault = await vaultValues(at)
      assert.equal(vault.PROXMOX_TOKEN_SECRET, undefined)
      assert.equal(vault.PROXMOX_TOKEN_ID, undefined)
      assert.ok(!existsSync(at.credentialsFile), 'the credentials file is deleted')
      const marker = await readMarkerJson(at)
      assert.equal(marker?.status, 'revoked')
      const revoked = (marker as unknown as {revoked: {at: string; removed: string[]; run_id: string}}).revoked
      assert.match(revoked.run_id, /^revoke-proxmox-\d{8}T\d{6}Z-[0-9a-f]{8}$/)
      assert.ok(revoked.removed.some((line) => line.includes(`the token ${at.tokenId}`)))
      assert.ok(!Number.isNaN(Date.parse(revoked.at)))

      const status = await runCli(['init', 'status', '--root', at.root], {env: {HOME: at.home}})
      assert.match(status.stdout, /^proxmox: revoked /m)
      const env = await runCli(['env', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile], {
        env: {HOME: at.home},
      })
      runs.push(env)
      assert.equal(env.code, 21, env.stderr)
      assert.match(env.stderr, /revoked/)
      const exec = await runCli(
        ['exec', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile, '--', 'true'],
        {env: {HOME: at.home}},
      )
      assert.equal(exec.code, 21, exec.stderr)

      const again = await revoke(at, ['--yes'])
      assert.equal(again.code, 0, again.stderr)
      assert.match(again.stdout, /Nothing to revoke: proxmox was already revoked/)
      assert.deepEqual(await secretLeaks(at, [secret], runs, await sim.execLog()), [])
    })

    it('keeps a user hyops did not make (only its grant goes)', async () => {
      const {at} = await initialised(true)
      assert.notEqual((await readMarkerJson(at))?.token?.user_created, true)
      const run = await revoke(at, ['--yes'])
      assert.equal(run.code, 0, run.stderr)
      const s = await sim.readState()
      assert.deepEqual(s.users[at.userFq], {comment: 'made by the operator', enable: 1}, 'the user stays as it was')
      assert.equal(s.tokens[at.tokenId], undefined)
      assert.ok(!s.acls.some((a) => a.ugid === at.userFq), 'its grant of the role is gone')
      assert.match(run.stdout, new RegExp(`Removed the grant of ${at.role} on / to`))
    })

    it('keeps the role while another grant uses it, and --local-only leaves the host alone', async () => {
      const {at} = await initialised()
      await sim.updateState((s) => {
        s.users['other@pve'] ??= {enable: 1}
        s.acls.push({path: '/vms', propagate: 1, roles: [at.role], type: 'user', ugid: 'other@pve'})
      })
      const run = await revoke(at, ['--yes'])
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stderr, new RegExp(`kept the role ${at.role}: 1 other grant`))
      assert.ok((await sim.readState()).custom_roles?.[at.role], 'the role stays')

      const {at: other} = await initialised()
      const token = (await sim.readState()).tokens[other.tokenId]
      const local = await revoke(other, ['--yes', '--local-only'])
      assert.equal(local.code, 0, local.stderr)
      assert.match(local.stderr, /Warning: --local-only: the token may still work on the host/)
      assert.deepEqual((await sim.readState()).tokens[other.tokenId], token, 'the host keeps the token')
      assert.equal((await vaultValues(other)).PROXMOX_TOKEN_SECRET, undefined)
      assert.equal((await readMarkerJson(other))?.status, 'revoked')
    })
  })
}
