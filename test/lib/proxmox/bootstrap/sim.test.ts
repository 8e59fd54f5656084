// The remote bootstrap end to end over SSH against the simulated Proxmox host: one SSH
// connection, the script on stdin, the token on the host and its API.
import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {request} from 'node:https'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {runRemoteBootstrap} from '../../../../src/lib/proxmox/bootstrap/run.js'
import type {TokenMode} from '../../../../src/lib/proxmox/types.js'
import {connectSsh, type SshSession} from '../../../../src/lib/ssh/connection.js'
import {type PveSim, type SimFaults, startPveSim} from '../../../fixtures/pve-sim/index.js'
import {rejectsWithReason} from '../../../helpers/errors.js'
import {testInputs} from './helpers.js'

const TOKEN = 'hyops@pve!hyops'

/** GET /api2/json/version with the token, verifying TLS against the CA: the HTTP status. */
async function apiStatus(sim: PveSim, ca: string, secret: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ca,
        headers: {Authorization: `PVEAPIToken=${TOKEN}=${secret}`},
        host: '127.0.0.1',
        method: 'GET',
        path: '/api2/json/version',
        port: sim.apiPort,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('remote bootstrap over SSH (simulated Proxmox host)', () => {
  let sim: PveSim
  let dir: string
  let session: SshSession
  const secretsSeen: string[] = []
  const run = (tokenMode: TokenMode, options: {wantCa?: boolean; readOnly?: boolean} = {}) =>
    runRemoteBootstrap(session, {
      inputs: testInputs({host: sim.host, sshPort: sim.sshPort}),
      onTokenSecret: async (secret) => void secretsSeen.push(secret),
      readOnly: options.readOnly,
      tokenMode,
      wantCa: options.wantCa ?? false,
    })
  const hostSecret = async () => (await sim.readState()).tokens[TOKEN]?.secret
  const changes = async (from: number) =>
    (await sim.execLog())
      .slice(from)
      .filter(
        (argv) =>
          argv[0] === 'pveum' && ['add', 'modify', 'remove', 'delete'].some((verb) => argv.slice(1, 4).includes(verb)),
      )
      .map((argv) => argv.join(' '))

  async function withFaults(faults: SimFaults, fn: () => Promise<void>): Promise<void> {
    await sim.updateState((state) => void Object.assign(state.faults, faults))
    try {
      await fn()
    } finally {
      await sim.updateState((state) => {
        state.faults = {}
      })
    }
  }

  before(async () => {
    sim = await startPveSim()
    dir = await mkdtemp(join(tmpdir(), 'hyops-bootstrap-sim-'))
    session = await connectSsh({
      host: sim.host,
      hostKeyPolicy: 'accept-new',
      knownHostsFile: join(dir, 'known_hosts'),
      port: sim.sshPort,
      privateKeyPath: sim.clientKey.privateKeyPath,
      username: 'root',
    })
  })
  after(async () => {
    session?.dispose()
    await sim.stop()
    await rm(dir, {force: true, recursive: true})
  })

  it('create on a bare host: user, token without privsep, ACLs, a secret the API accepts, the CA', async () => {
    const found = await run('create', {wantCa: true})
    const state = await sim.readState()
    assert.equal(found.node, 'pve1')
    assert.equal(found.apiIp, '127.0.0.1')
    assert.equal(found.tokenExisted, false)
    assert.ok(found.tokenSecret)
    assert.equal(found.tokenSecret, state.tokens[TOKEN].secret)
    assert.deepEqual(secretsSeen, [found.tokenSecret])
    assert.equal(state.tokens[TOKEN].privsep, 0)
    assert.ok(state.users['hyops@pve'])
    // The managed role on / for the user alone: without privilege separation the token has the user's privileges.
    assert.deepEqual(
      state.acls.map((a) => `${a.type} ${a.ugid} ${a.path} ${a.roles.join(',')}`),
      ['user hyops@pve / HyopsAutomation'],
    )

    assert.deepEqual(
      [
        found.storageVm,
        found.storageVmSource,
        found.storageIso,
        found.storageIsoSource,
        found.storageSnippets,
        found.storageSnippetsSource,
        found.bridge,
        found.bridgeSource,
      ],
      ['local-lvm', 'detected', 'local', 'detected', 'local', 'detected', 'vmbr0', 'detected'],
    )
    const ca = await readFile(sim.caFile, 'utf8')
    assert.equal(found.caPem, ca)
    assert.equal(await apiStatus(sim, found.caPem!, found.tokenSecret!), 200)
  })

  it('create on an existing token reports it and changes nothing', async () => {
    const before = await hostSecret()
    const from = (await sim.execLog()).length
    const found = await run('create')
    assert.equal(found.tokenExisted, true)
    assert.equal(found.tokenSecret, undefined)
    assert.equal(await hostSecret(), before)
    assert.deepEqual(await changes(from), [])
  })

  it('keep leaves the token alone', async () => {
    const before = await hostSecret()
    const found = await run('keep')
    assert.equal(found.tokenExisted, true)
    assert.equal(found.tokenSecret, undefined)
    assert.equal(await hostSecret(), before)
  })

  it('rotate replaces the secret in two calls (the user keeps its grant); the old secret stops working', async () => {
    const old = (await hostSecret())!
    const from = (await sim.execLog()).length
    const found = await run('rotate')
    const now = await hostSecret()
    assert.equal(found.tokenExisted, true)
    assert.ok(found.tokenSecret)
    assert.notEqual(found.tokenSecret, old)
    assert.equal(found.tokenSecret, now)
    const made = await changes(from)
    assert.equal(made[0], `pveum user token remove hyops@pve hyops`)
    assert.match(
      made[1],
      /^pveum user token add hyops@pve hyops --privsep 0 --expire 0 --comment .* --output-format json$/,
    )
    assert.equal(made.length, 2, made.join('\n'))
    const ca = await readFile(sim.caFile, 'utf8')
    assert.equal(await apiStatus(sim, ca, found.tokenSecret!), 200)
    assert.equal(await apiStatus(sim, ca, old), 401)
  })

  it('records the fallback source when the host has no snippets storage and its bridge is down', async () => {
    const saved = await sim.readState()
    await sim.updateState((state) => {
      state.storages = state.storages.map((s) => ({...s, content: s.content.replace(',snippets', '')}))
      state.interfaces = state.interfaces.map((i) => (i.ifname === 'vmbr0' ? {...i, operstate: 'DOWN'} : i))
    })
    try {
      const found = await run('keep')
      assert.deepEqual([found.storageSnippets, found.storageSnippetsSource], ['local', 'fallback'])
      assert.deepEqual([found.bridge, found.bridgeSource], ['vmbr0', 'fallback'])
      assert.deepEqual([found.storageVm, found.storageVmSource], ['local-lvm', 'detected'])
    } finally {
      await sim.updateState((state) => {
        state.storages = saved.storages
        state.interfaces = saved.interfaces
      })
    }
  })

  it('a failing token creation is exit 20 with the host message', async () => {
    await withFaults({token_add_fails: true}, async () => {
      const message = new RegExp(
        `^remote bootstrap on root@127\\.0\\.0\\.1:${sim.sshPort} failed \\(exit 1\\): ` +
          `cannot create the token ${TOKEN}: simulated failure`,
      )
      // rotate removes the old token first: after the failure the host has none
      await rejectsWithReason(run('rotate'), 'script-failed', (error) => assert.match(error.message, message))
      assert.equal(await hostSecret(), undefined)
      await rejectsWithReason(run('create'), 'script-failed', (error) => assert.match(error.message, message))
      assert.equal(await hostSecret(), undefined)
    })
  })

  it('a script that fails on the host is exit 20 naming the exit code and the last stderr line', async () => {
    await withFaults({script_exit: 7}, async () => {
      await rejectsWithReason(run('keep'), 'script-failed', (error) => {
        assert.match(error.message, /failed \(exit 7\): pve-sim: simulated failure, exit 7 \(script_exit\)$/)
      })
    })
  })

  it('a failing discovery changes nothing on the host', async () => {
    const before = await readFile(sim.statePath, 'utf8')
    const from = (await sim.execLog()).length
    await withFaults({pvesh_fails: true}, async () => {
      // Without a readable storage.cfg the bootstrap asks pvesh, which fails.
      await rm(join(sim.pveEtcDir, 'storage.cfg'))
      await rejectsWithReason(run('rotate'), 'script-failed', (error) =>
        assert.match(error.message, /cannot list storages .*: ipcc_send_rec/),
      )
    })
    assert.deepEqual(await changes(from), [])
    const after = JSON.parse(await readFile(sim.statePath, 'utf8'))
    assert.deepEqual({...after, faults: {}}, {...JSON.parse(before), faults: {}})
  })

  it('read-only makes no change and no secret', async () => {
    const before = await hostSecret()
    const from = (await sim.execLog()).length
    const found = await run('rotate', {readOnly: true})
    assert.equal(found.tokenSecret, undefined)
    assert.equal(await hostSecret(), before)
    assert.deepEqual(await changes(from), [])
  })

  it('never put a secret in any process argument on the host (exec.log)', async () => {
    const state = await sim.readState()
    const secrets = [...secretsSeen, ...Object.values(state.tokens).map((t) => t.secret)]
    assert.equal(secretsSeen.length, 2, 'create and rotate each made one secret')
    const log = await readFile(join(sim.dir, 'exec.log'), 'utf8')
    assert.ok(log.includes('pveum'))
    for (const secret of secrets) assert.ok(!log.includes(secret), 'a secret is in exec.log')
    // Each bootstrap was one `env ... bash -s` exec with the script on stdin.
    const commands = await sim.execCommands()
    assert.ok(commands.length >= 9)
    for (const command of commands)
      assert.match(command, /^env USER_FQ='hyops@pve' TOKEN_NAME='hyops' TOKEN_MODE='(keep|create|rotate)' .* bash -s$/)
  })
})
