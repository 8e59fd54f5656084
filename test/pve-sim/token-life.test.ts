// The simulated host's token life, modelled on pve-access-control: `user token modify --regenerate` only where
// libpve-access-control is 9.1.0 or later (src/PVE/API2/User.pm update_token_info; older pveum refuse the
// option), the installed version through dpkg-query, `role delete`, and the API's expiry check on the host's
// clock (AccessControl.pm verify_token).
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {startPveSim, type PveSim, type SimProfile} from '../fixtures/pve-sim/index.js'
import {apiGet, simCommand, tokenHeader} from './helpers.js'

const VERSIONS: Record<SimProfile, string> = {'pve7.4': '7.4.3', pve8: '8.2.0', pve9: '9.0.7', 'pve9.1': '9.1.1'}

for (const profile of ['pve7.4', 'pve8', 'pve9', 'pve9.1'] as const) {
  describe(`pve-sim token life on ${profile}`, () => {
    let sim: PveSim
    before(async () => {
      sim = await startPveSim({profile, state: {auth_fail_delay_ms: 5}})
    })
    after(async () => sim?.stop())

    it('dpkg-query -W gives the libpve-access-control version; another package is not found', async () => {
      const found = await simCommand(sim, 'dpkg-query', '-W', '-f', '${Version}', 'libpve-access-control')
      assert.deepEqual(found, {code: 0, stderr: '', stdout: VERSIONS[profile]})
      const other = await simCommand(sim, 'dpkg-query', '-W', 'no-such-package')
      assert.equal(other.code, 1)
      assert.equal(other.stderr, 'dpkg-query: no packages found matching no-such-package\n')
    })

    it('token modify --regenerate: a new secret in place with its grants on 9.1, refused before', async () => {
      await simCommand(sim, 'pveum', 'user', 'add', 'life@pve')
      const add = await simCommand(sim, 'pveum', 'user', 'token', 'add', 'life@pve', 'tt', '--privsep', '1')
      assert.equal(add.code, 0, add.stderr)
      await simCommand(sim, 'pveum', 'acl', 'modify', '/', '--tokens', 'life@pve!tt', '--roles', 'PVEAuditor')
      const old = (await sim.readState()).tokens['life@pve!tt'].secret
      const expire = String(Math.floor(Date.now() / 1000) + 30 * 86_400)
      const modify = await simCommand(
        sim,
        ...['pveum', 'user', 'token', 'modify', 'life@pve', 'tt', '--regenerate', '1', '--expire', expire],
        ...['--output-format', 'json'],
      )
      const state = await sim.readState()
      if (profile !== 'pve9.1') {
        assert.equal(modify.code, 255)
        assert.match(modify.stderr, /^Unknown option: regenerate\n400 unable to parse option\n/)
        assert.equal(state.tokens['life@pve!tt'].secret, old, 'nothing changed')
        return
      }

      assert.equal(modify.code, 0, modify.stderr)
      const answer = JSON.parse(modify.stdout)
      assert.equal(answer['full-tokenid'], 'life@pve!tt')
      assert.equal(answer.expire, Number(expire))
      assert.equal(answer.value, state.tokens['life@pve!tt'].secret)
      assert.notEqual(answer.value, old)
      assert.ok(
        state.acls.some((a) => a.ugid === 'life@pve!tt' && a.roles.includes('PVEAuditor')),
        'grant kept',
      )
      assert.equal((await apiGet(sim, '/api2/json/version', tokenHeader('life@pve!tt', old))).status, 401)
      assert.equal((await apiGet(sim, '/api2/json/version', tokenHeader('life@pve!tt', answer.value))).status, 200)
    })

    it('role delete removes a custom role (and it from grants), refuses a built-in or unknown one', async () => {
      await simCommand(sim, 'pveum', 'role', 'add', 'Gone', '--privs', 'VM.Audit')
      await simCommand(sim, 'pveum', 'user', 'add', 'role@pve')
      await simCommand(sim, 'pveum', 'acl', 'modify', '/', '--users', 'role@pve', '--roles', 'Gone')
      assert.equal((await simCommand(sim, 'pveum', 'role', 'delete', 'Gone')).code, 0)
      const state = await sim.readState()
      assert.equal(state.custom_roles?.Gone, undefined)
      assert.ok(!state.acls.some((a) => a.roles.includes('Gone')))
      const builtin = await simCommand(sim, 'pveum', 'role', 'delete', 'PVEAuditor')
      assert.deepEqual([builtin.code, builtin.stderr], [255, "auto-generated role 'PVEAuditor' cannot be deleted\n"])
      const unknown = await simCommand(sim, 'pveum', 'role', 'delete', 'Nope')
      assert.deepEqual([unknown.code, unknown.stderr], [255, "delete role failed: role 'Nope' does not exist\n"])
    })

    it("the API refuses a token once its expiry is behind the host's clock (clock_offset_s)", async () => {
      await simCommand(sim, 'pveum', 'user', 'add', 'clock@pve')
      const expire = String(Math.floor(Date.now() / 1000) + 3 * 86_400)
      const add = await simCommand(
        sim,
        ...['pveum', 'user', 'token', 'add', 'clock@pve', 'cc', '--privsep', '0', '--expire', expire],
        ...['--output-format', 'json'],
      )
      const {value} = JSON.parse(add.stdout)
      assert.equal((await apiGet(sim, '/api2/json/version', tokenHeader('clock@pve!cc', value))).status, 200)
      await sim.updateState((s) => void (s.clock_offset_s = 4 * 86_400))
      try {
        assert.equal((await apiGet(sim, '/api2/json/version', tokenHeader('clock@pve!cc', value))).status, 401)
      } finally {
        await sim.updateState((s) => void delete s.clock_offset_s)
      }
    })
  })
}
