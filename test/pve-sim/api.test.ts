import assert from 'node:assert/strict'
import {join} from 'node:path'
import {after, afterEach, before, describe, it} from 'node:test'
import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'
import {apiGet, connectSsh, tokenHeader} from './helpers.js'

const CONTENT = '/api2/json/nodes/pve1/storage/local/content'

describe('pve-sim HTTPS API', () => {
  let sim: PveSim
  let secret: string
  before(async () => {
    sim = await startPveSim()
    const {ssh} = await connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath})
    try {
      const result = await ssh.execCommand('bash -s', {
        stdin:
          'set -e\npveum user add api@pve\npveum user token add api@pve tf --privsep 0 --expire 0 ' +
          '--output-format json\n',
      })
      assert.equal(result.code, 0, result.stderr)
      secret = (JSON.parse(result.stdout) as {value: string}).value
    } finally {
      ssh.dispose()
    }
  })
  after(async () => sim.stop())
  afterEach(async () =>
    sim.updateState((s) => {
      s.faults = {}
      s.acls = []
    }),
  )

  it('accepts a token made over SSH at once, over TLS verified against the CA', async () => {
    const answer = await apiGet(sim, '/api2/json/version', tokenHeader('api@pve!tf', secret))
    assert.deepEqual(answer, {body: {data: {release: '8.2', repoid: 'abc', version: '8.2.4'}}, status: 200})
  })

  it('rejects TLS against an unrelated CA', async () => {
    const otherCa = join(sim.caFile, '..', 'other-ca.pem')
    await assert.rejects(
      apiGet(sim, '/api2/json/version', tokenHeader('api@pve!tf', secret), otherCa),
      /self-signed|unable to verify|certificate/i,
    )
  })

  it('answers 401 with an empty body for a wrong secret, an unknown token and no header', async () => {
    const failure = {body: null, status: 401}
    assert.deepEqual(await apiGet(sim, '/api2/json/version', tokenHeader('api@pve!tf', 'not-the-secret')), failure)
    assert.deepEqual(await apiGet(sim, '/api2/json/version', tokenHeader('api@pve!nope', secret)), failure)
    assert.deepEqual(await apiGet(sim, '/api2/json/version'), failure)
  })

  // The token is privsep=0: it has exactly its user's privileges, so the ACLs are the user's.
  it('answers 403 for storage content without an ACL, 200 with one on /, /storage or /storage/<id>', async () => {
    const auth = tokenHeader('api@pve!tf', secret)
    assert.equal((await apiGet(sim, CONTENT, auth)).status, 403)
    await sim.updateState(
      (s) => void s.acls.push({path: '/storage/local-lvm', roles: ['PVEDatastoreUser'], type: 'user', ugid: 'api@pve'}),
    )
    assert.equal((await apiGet(sim, CONTENT, auth)).status, 403)
    for (const path of ['/storage/local', '/storage', '/']) {
      await sim.updateState((s) => void (s.acls = [{path, roles: ['PVEDatastoreUser'], type: 'user', ugid: 'api@pve'}]))
      assert.deepEqual(await apiGet(sim, CONTENT, auth), {body: {data: []}, status: 200}, path)
    }
  })

  it('lets a privsep=0 token use its user ACLs, but not a privsep=1 token', async () => {
    const auth = tokenHeader('api@pve!tf', secret)
    await sim.updateState((s) => void s.acls.push({path: '/', roles: ['PVEAdmin'], type: 'user', ugid: 'api@pve'}))
    assert.equal((await apiGet(sim, CONTENT, auth)).status, 200)
    await sim.updateState((s) => void (s.tokens['api@pve!tf'].privsep = 1))
    try {
      assert.equal((await apiGet(sim, CONTENT, auth)).status, 403)
    } finally {
      await sim.updateState((s) => void (s.tokens['api@pve!tf'].privsep = 0))
    }
  })

  it('answers 404 for an unknown node or storage once permitted', async () => {
    const auth = tokenHeader('api@pve!tf', secret)
    await sim.updateState((s) => void s.acls.push({path: '/', roles: ['PVEAuditor'], type: 'user', ugid: 'api@pve'}))
    assert.equal((await apiGet(sim, '/api2/json/nodes/other/storage/local/content', auth)).status, 404)
    assert.equal((await apiGet(sim, '/api2/json/nodes/pve1/storage/nfs/content', auth)).status, 404)
  })

  it('rejects the old secret after the token is rotated over SSH', async () => {
    const {ssh} = await connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath})
    let fresh: string
    try {
      const result = await ssh.execCommand('bash -s', {
        stdin:
          'set -e\npveum user token remove api@pve tf\npveum user token add api@pve tf --privsep 0 ' +
          '--expire 0 --output-format json\n',
      })
      assert.equal(result.code, 0, result.stderr)
      fresh = (JSON.parse(result.stdout) as {value: string}).value
    } finally {
      ssh.dispose()
    }

    assert.equal((await apiGet(sim, '/api2/json/version', tokenHeader('api@pve!tf', secret))).status, 401)
    assert.equal((await apiGet(sim, '/api2/json/version', tokenHeader('api@pve!tf', fresh))).status, 200)
    secret = fresh
  })

  it('fault api_status answers that status for every request', async () => {
    for (const status of [401, 403, 500] as const) {
      await sim.updateState((s) => void (s.faults.api_status = status))
      assert.equal((await apiGet(sim, '/api2/json/version', tokenHeader('api@pve!tf', secret))).status, status)
    }
  })

  it('fault bad_token_delay_ms delays 401 answers only', async () => {
    await sim.updateState((s) => void (s.faults.bad_token_delay_ms = 300))
    let start = Date.now()
    assert.equal((await apiGet(sim, '/api2/json/version', tokenHeader('api@pve!tf', 'wrong'))).status, 401)
    assert.ok(Date.now() - start >= 290, `401 after ${Date.now() - start} ms`)
    start = Date.now()
    assert.equal((await apiGet(sim, '/api2/json/version', tokenHeader('api@pve!tf', secret))).status, 200)
    assert.ok(Date.now() - start < 250, `200 after ${Date.now() - start} ms`)
  })

  it('logs requests per path without secrets', async () => {
    const before = sim.apiRequestCounts()['/api2/json/version'] ?? 0
    await apiGet(sim, '/api2/json/version?x=1', tokenHeader('api@pve!tf', secret))
    assert.equal(sim.apiRequestCounts()['/api2/json/version'], before + 1)
    assert.deepEqual(sim.apiRequests().at(-1), {
      method: 'GET',
      path: '/api2/json/version',
      query: 'x=1',
      status: 200,
      tokenId: 'api@pve!tf',
    })
    assert.ok(!JSON.stringify(sim.apiRequests()).includes(secret))
  })
})
