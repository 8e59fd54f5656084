import assert from 'node:assert/strict'
import {after, afterEach, before, describe, it} from 'node:test'
import {legacyGrants, startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'
import {apiGet, tokenHeader} from './helpers.js'

const U = 'automation@pam'
const T = `${U}!hyops`
const PERMS = '/api2/json/access/permissions'

describe('pve-sim GET /access/permissions and the storage content check', () => {
  let sim: PveSim
  const auth = tokenHeader(T, 'secret-1')
  before(async () => {
    sim = await startPveSim({profile: 'pve8', state: {auth_fail_delay_ms: 10}})
    await sim.updateState((s) => {
      s.users[U] = {enable: 1}
      s.tokens[T] = {expire: 0, privsep: 1, secret: 'secret-1'}
    })
  })
  after(async () => sim.stop())
  afterEach(async () => sim.updateState((s) => void (s.acls = [])))

  it("answers the token's own effective privileges, per path, with propagate flags", async () => {
    assert.deepEqual(await apiGet(sim, PERMS, auth), {body: {data: {}}, status: 200})
    await sim.updateState((s) => void (s.acls = legacyGrants(U, T, s)))
    const tree = await apiGet(sim, PERMS, auth)
    assert.equal(tree.status, 200)
    const data = tree.body.data as Record<string, Record<string, number>>
    assert.deepEqual(Object.keys(data), [
      '/',
      '/access',
      '/access/groups',
      '/nodes',
      '/pool',
      '/sdn',
      '/sdn/zones',
      '/storage',
      '/vms',
    ])
    assert.equal(data['/storage']['Datastore.Allocate'], 1)
    assert.equal(data['/']['Datastore.Allocate'], undefined)
    const one = await apiGet(sim, `${PERMS}?path=${encodeURIComponent('/storage/local')}`, auth)
    assert.deepEqual(Object.keys(one.body.data as object), ['/storage/local'])
    assert.equal((one.body.data as Record<string, Record<string, number>>)['/storage/local']['Datastore.Audit'], 1)
    assert.deepEqual(sim.apiRequests().at(-1), {
      method: 'GET',
      path: PERMS,
      query: 'path=%2Fstorage%2Flocal',
      status: 200,
      tokenId: T,
    })
  })

  it('GET /access/roles and /access/roles/ID answer any token, per the version', async () => {
    const list = await apiGet(sim, '/api2/json/access/roles', auth)
    assert.equal(list.status, 200)
    const roles = list.body.data as Array<{roleid: string; privs: string; special: number}>
    const admin = roles.find((r) => r.roleid === 'Administrator')
    assert.equal(admin?.special, 1)
    assert.match(admin?.privs ?? '', /(^|,)VM\.Monitor(,|$)/, 'PVE 8 still knows VM.Monitor')
    const one = await apiGet(sim, '/api2/json/access/roles/PVEAuditor', auth)
    assert.equal((one.body.data as Record<string, number>)['Sys.Audit'], 1)
    assert.equal((one.body.data as Record<string, number>)['Sys.Modify'], undefined)
    assert.equal((await apiGet(sim, '/api2/json/access/roles/Nope', auth)).status, 500)
  })

  it("asks for Sys.Audit on /access to read another id's privileges, its own user's included", async () => {
    const denied = await apiGet(sim, `${PERMS}?userid=${U}&path=/`, auth)
    assert.deepEqual(denied, {body: {data: null, message: 'Permission check failed (/access, Sys.Audit)'}, status: 403})
    assert.equal((await apiGet(sim, `${PERMS}?userid=${T}&path=/`, auth)).status, 200)
    // The user has PVEAuditor on / but the privsep token has not: still refused.
    await sim.updateState((s) => void s.acls.push({path: '/', roles: ['PVEAuditor'], type: 'user', ugid: U}))
    assert.equal((await apiGet(sim, `${PERMS}?userid=${U}`, auth)).status, 403)
    await sim.updateState((s) => void s.acls.push({path: '/', roles: ['PVEAuditor'], type: 'token', ugid: T}))
    const allowed = await apiGet(sim, `${PERMS}?userid=${U}&path=/`, auth)
    assert.equal(allowed.status, 200)
    assert.equal((allowed.body.data as Record<string, Record<string, number>>)['/']['Sys.Audit'], 1)
    const root = await apiGet(sim, `${PERMS}?userid=root@pam&path=/nodes`, auth)
    assert.equal((root.body.data as Record<string, Record<string, number>>)['/nodes']['Sys.Modify'], 1)
  })

  it('a path without privileges answers an empty map for it (an empty hash is true in Perl)', async () => {
    assert.deepEqual(await apiGet(sim, `${PERMS}?path=/vms/100`, auth), {body: {data: {'/vms/100': {}}}, status: 200})
  })

  it('refuses a malformed userid and unknown parameters with 400', async () => {
    const bad = await apiGet(sim, `${PERMS}?userid=nobody`, auth)
    assert.equal(bad.status, 400)
    assert.deepEqual(bad.body, {
      data: null,
      errors: {userid: 'value does not match the regex pattern'},
      message: 'Parameter verification failed.',
    })
    assert.equal((await apiGet(sim, `${PERMS}?depth=1`, auth)).status, 400)
  })

  it('storage content needs Datastore.Audit or Datastore.AllocateSpace on /storage/<id> for the token', async () => {
    const content = '/api2/json/nodes/pve1/storage/local/content'
    const denied = await apiGet(sim, content, auth)
    assert.equal(denied.status, 403)
    assert.equal(
      denied.body.message,
      'Permission check failed (/storage/local, Datastore.Audit|Datastore.AllocateSpace)',
    )
    // VM roles alone are not enough; the token and its user both need a datastore privilege.
    await sim.updateState((s) => {
      s.acls = [
        {path: '/', roles: ['PVEVMAdmin'], type: 'user', ugid: U},
        {path: '/', roles: ['PVEVMAdmin'], type: 'token', ugid: T},
        {path: '/storage', roles: ['PVEDatastoreAdmin'], type: 'token', ugid: T},
      ]
    })
    assert.equal((await apiGet(sim, content, auth)).status, 403)
    await sim.updateState(
      (s) => void s.acls.push({path: '/storage', roles: ['PVEDatastoreUser'], type: 'user', ugid: U}),
    )
    assert.deepEqual(await apiGet(sim, content, auth), {body: {data: []}, status: 200})
    // What earlier hyops releases granted still passes.
    await sim.updateState((s) => void (s.acls = legacyGrants(U, T, s)))
    assert.equal((await apiGet(sim, content, auth)).status, 200)
    assert.equal((await apiGet(sim, '/api2/json/version', auth)).status, 200)
  })
})
