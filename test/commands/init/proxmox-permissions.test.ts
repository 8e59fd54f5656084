// Privilege profiles end to end (docs/proxmox.md, "Privileges: profiles and the managed role"):
// the token hyops makes holds its privilege profile on simulated Proxmox VE
// 7.4, 8 and 9 (read back through the sim's permission model, which follows pve-access-control),
// validation proves it (exit 21 naming what is missing), old grants are migrated, and the host
// calls stay within 5 / 1 / 3 (first run, re-run, rotation), read from the sim's call log.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {TELMATE_MINIMUM} from '../../../src/lib/proxmox/permissions/profiles.js'
import {legacyGrants, startPveSim, type PveSim, type SimProfile} from '../../fixtures/pve-sim/index.js'
import {effectivePermissions, privilegesAt} from '../../fixtures/pve-sim/lib/permissions.mjs'
import {cleanupTempDirs, runCli, unwrapped, type CliRun} from '../../helpers/cli.js'
import {initProxmox, prepareRoot, readMarkerJson, type ProxmoxRoot} from '../../helpers/proxmox-env.js'

const NO_STACK = /\n\s+at \S/

function statusCheck(at: ProxmoxRoot, args: string[] = []): Promise<CliRun> {
  return runCli(['init', 'status', '--check', '--root', at.root, '--vault-password-file', at.passwordFile, ...args], {
    env: {HOME: at.home},
  })
}

/** The pveum/pvesh/pvesm calls `run` made on the host. */
async function hostCallsOf(sim: PveSim, run: () => Promise<CliRun>): Promise<{run: CliRun; calls: string[]}> {
  const before = (await sim.hostCalls()).length
  const result = await run()
  return {calls: (await sim.hostCalls()).slice(before).map((argv) => argv.slice(0, 4).join(' ')), run: result}
}

after(cleanupTempDirs)

for (const profile of ['pve7.4', 'pve8', 'pve9'] as const satisfies readonly SimProfile[]) {
  describe(`privilege profiles on ${profile}`, () => {
    let sim: PveSim
    before(async () => {
      sim = await startPveSim({profile, state: {auth_fail_delay_ms: 50}})
    })
    after(async () => {
      await sim?.stop()
    })

    it("terraform: Telmate's check holds at /, in 5 / 1 / 3 host calls; a stripped role fails the check", async () => {
      const at = await prepareRoot(sim)
      const first = await hostCallsOf(sim, () => initProxmox(at, ['--json']))
      assert.equal(first.run.code, 0, first.run.stderr)
      assert.ok(first.calls.length <= 5, `first run: ${first.calls.length} calls: ${first.calls.join('; ')}`)
      const state = await sim.readState()
      const atRoot = privilegesAt(state, at.tokenId, '/')
      const missing = TELMATE_MINIMUM.filter((p) => atRoot[p] === undefined)
      assert.deepEqual(missing, [], "the token holds every privilege of Telmate's start-up check at /")
      // Telmate asks for the user's privileges at / with the token (GetUserPermissions), which needs Sys.Audit.
      assert.ok(privilegesAt(state, at.userFq, '/')['Sys.Modify'] !== undefined)
      const result = JSON.parse(first.run.stdout) as {permissions: {profile: string; verified_paths: string[]}}
      assert.equal(result.permissions.profile, 'terraform')
      assert.ok(result.permissions.verified_paths.includes('/storage/local-lvm'))
      assert.equal((await readMarkerJson(at))?.permissions?.profile, 'terraform')

      const again = await hostCallsOf(sim, () => initProxmox(at, ['--bootstrap']))
      assert.equal(again.run.code, 0, again.run.stderr)
      assert.ok(again.calls.length <= 1, `re-run: ${again.calls.join('; ')}`)
      assert.match(again.run.stdout, /Privileges\s+terraform profile, \d+ privileges\s+verified on \d+ paths\n/)
      assert.match(again.run.stdout, /\n\s+Role\s+HyopsAutomation\s+in place\n/)
      const rotation = await hostCallsOf(sim, () => initProxmox(at, ['--force']))
      assert.equal(rotation.run.code, 0, rotation.run.stderr)
      assert.ok(rotation.calls.length <= 3, `rotation: ${rotation.calls.join('; ')}`)

      const ok = await statusCheck(at, ['--json'])
      assert.equal(ok.code, 0, ok.stderr)
      // Someone strips Sys.Modify from the role on the host: the live check names it; the next run repairs it.
      await sim.updateState((s) => {
        s.custom_roles!.HyopsAutomation = s
          .custom_roles!.HyopsAutomation.split(',')
          .filter((p) => p !== 'Sys.Modify')
          .join(',')
      })
      const check = await statusCheck(at)
      assert.equal(check.code, 21, check.stdout + check.stderr)
      assert.match(
        unwrapped(check.stdout),
        /check: FAILED \(exit 21\): token \S+ lacks Sys\.Modify on \/.*terraform profile/,
      )
      const repaired = await initProxmox(at, ['--bootstrap'])
      assert.equal(repaired.code, 0, repaired.stderr)
      assert.match(repaired.stdout, /Role\s+HyopsAutomation\s+brought up to date/)
      assert.equal((await statusCheck(at)).code, 0)
    })

    it('minimal: no Sys.Modify and no Datastore.Allocate anywhere; a narrower storage grant is exit 21', async () => {
      const at = await prepareRoot(sim, {
        extraConfig: {PRIVILEGE_PROFILE: 'minimal', ROLE_NAME: 'HyopsMinimal'},
        userFq: 'minimal@pve',
      })
      const first = await initProxmox(at)
      assert.equal(first.code, 0, first.stderr)
      const everywhere = effectivePermissions(await sim.readState(), at.tokenId)
      for (const [path, privileges] of Object.entries(everywhere)) {
        assert.equal(privileges['Sys.Modify'], undefined, `Sys.Modify on ${path}`)
        assert.equal(privileges['Datastore.Allocate'], undefined, `Datastore.Allocate on ${path}`)
      }

      assert.ok(everywhere['/']?.['VM.Allocate'] !== undefined)
      // An admin grants the user a read-only role on local-lvm: there it replaces the role inherited from /.
      await sim.updateState((s) => {
        s.acls.push({path: '/storage/local-lvm', propagate: 1, roles: ['PVEAuditor'], type: 'user', ugid: at.userFq})
      })
      const run = await initProxmox(at, ['--bootstrap'])
      assert.equal(run.code, 21, run.stderr)
      assert.match(
        run.stderr,
        /lacks Datastore\.AllocateSpace on \/storage\/local-lvm, which the minimal profile needs/,
      )
      assert.match(run.stderr, /pveum acl delete \/storage\/local-lvm --users minimal@pve/)
      assert.doesNotMatch(run.stderr, NO_STACK)
      const check = await statusCheck(at, ['--json'])
      assert.equal(check.code, 21)
      const entry = (JSON.parse(check.stdout) as {targets: Array<{check?: {ok: boolean; message: string}}>}).targets[0]
      assert.equal(entry.check?.ok, false)
      assert.match(entry.check?.message ?? '', /Datastore\.AllocateSpace on \/storage\/local-lvm/)
      await sim.updateState((s) => {
        s.acls = s.acls.filter((a) => a.path !== '/storage/local-lvm')
      })
    })
  })
}

describe('migration, token options and bad input (pve8)', () => {
  let sim: PveSim
  before(async () => {
    sim = await startPveSim({profile: 'pve8', state: {auth_fail_delay_ms: 50}})
  })
  after(async () => {
    await sim?.stop()
  })

  it('a host with the old grants keeps only the role, and its privileges hold on every chosen storage', async () => {
    const at = await prepareRoot(sim)
    assert.equal((await initProxmox(at)).code, 0)
    // What the releases before the role left on a host: their grants, and no role.
    await sim.updateState((s) => {
      s.acls = legacyGrants(at.userFq, at.tokenId, s)
      delete s.custom_roles
    })
    const run = await initProxmox(at, ['--bootstrap', '--json'])
    assert.equal(run.code, 0, run.stderr)
    const state = await sim.readState()
    assert.deepEqual(
      state.acls.map((a) => `${a.path} ${a.type} ${a.ugid} ${a.roles.join(',')}`),
      [`/ user ${at.userFq} HyopsAutomation`],
    )
    const permissions = (JSON.parse(run.stdout) as {permissions: {legacy_removed: string[]; verified_paths: string[]}})
      .permissions
    assert.deepEqual(permissions.legacy_removed, [
      '/=PVEAuditor,PVEVMAdmin',
      '/sdn/zones=PVESDNUser',
      '/storage=PVEDatastoreAdmin',
    ])
    for (const storage of ['local-lvm', 'local'])
      assert.ok(privilegesAt(state, at.tokenId, `/storage/${storage}`)['Datastore.AllocateSpace'] !== undefined)
  })

  it('TOKEN_PRIVSEP, TOKEN_EXPIRE and TOKEN_COMMENT shape a new token; the token holds the role itself', async () => {
    const at = await prepareRoot(sim, {
      extraConfig: {TOKEN_COMMENT: 'ci: lab', TOKEN_EXPIRE: 30, TOKEN_PRIVSEP: 'true'},
    })
    const run = await initProxmox(at)
    assert.equal(run.code, 0, run.stderr)
    const state = await sim.readState()
    const token = state.tokens[at.tokenId]
    assert.equal(token.privsep, 1)
    assert.equal(token.comment, 'ci: lab')
    const days = (token.expire - Date.now() / 1000) / 86_400
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`)
    assert.ok(
      state.acls.some((a) => a.type === 'token' && a.ugid === at.tokenId && a.roles.includes('HyopsAutomation')),
    )
  })

  it('bad permission input is a one-line exit 11 naming the key; a privilege the host lacks is exit 20', async () => {
    for (const [extra, message] of [
      [{PRIVILEGE_PROFILE: 'admin'}, /PRIVILEGE_PROFILE "admin" .* is not a privilege profile \(use one of terraform/],
      [{PRIVILEGES: 'VM.Audit'}, /PRIVILEGES "VM.Audit" .* is not read with PRIVILEGE_PROFILE terraform/],
      [{PRIVILEGE_PROFILE: 'custom'}, /PRIVILEGE_PROFILE is custom, but PRIVILEGES is not set/],
      [{PRIVILEGE_PROFILE: 'custom', PRIVILEGES: 'VM.Audit,rm -rf'}, /PRIVILEGES "rm" .* is not a list of Proxmox/],
      [{ROLE_NAME: 'PVEAdmin'}, /ROLE_NAME "PVEAdmin" .* is not a role hyops may manage/],
      [{TOKEN_EXPIRE: 'soon'}, /TOKEN_EXPIRE "soon" .* is not a number of days/],
    ] as const) {
      const at = await prepareRoot(sim, {extraConfig: extra})
      const run = await initProxmox(at)
      assert.equal(run.code, 11, `${JSON.stringify(extra)}: ${run.stderr}`)
      assert.match(run.stderr, message)
      assert.doesNotMatch(run.stderr, NO_STACK)
    }

    const at = await prepareRoot(sim, {extraConfig: {PRIVILEGE_PROFILE: 'custom', PRIVILEGES: 'VM.Audit,VM.Replicate'}})
    const before = await sim.readState()
    const run = await initProxmox(at)
    assert.equal(run.code, 20, run.stderr)
    assert.match(run.stderr, /PRIVILEGES names privileges this Proxmox VE does not know: VM\.Replicate/)
    const after = await sim.readState()
    assert.deepEqual(after.users, before.users, 'stopped before any change')
  })
})
