import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {after, afterEach, before, describe, it} from 'node:test'
import {promisify} from 'node:util'
import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'

const run = promisify(execFile)

describe('pve-sim fake host commands', () => {
  let sim: PveSim
  before(async () => {
    sim = await startPveSim()
  })
  after(async () => sim.stop())
  afterEach(async () => sim.updateState((s) => void (s.faults = {})))

  /** Runs a fake command as the sandbox would; never rejects. */
  async function cmd(...argv: string[]): Promise<{code: number; stdout: string; stderr: string}> {
    const env = {HOME: sim.homeDir, HYOPS_SIM_STATE: sim.statePath, PATH: `${sim.binDir}:/usr/bin:/bin`}
    try {
      const {stdout, stderr} = await run('/bin/bash', ['-c', '"$@"', 'sim', ...argv], {env})
      return {code: 0, stderr, stdout}
    } catch (error) {
      const e = error as {code: number; stdout: string; stderr: string}
      return {code: e.code, stderr: e.stderr, stdout: e.stdout}
    }
  }

  it('pveum manages users: list, add, and the real error when the user exists', async () => {
    assert.deepEqual(
      JSON.parse((await cmd('pveum', 'user', 'list', '--output-format', 'json')).stdout).map(
        (u: {userid: string}) => u.userid,
      ),
      ['root@pam'],
    )
    assert.equal((await cmd('pveum', 'user', 'add', 'ops@pve', '--comment', 'hyops')).code, 0)
    const again = await cmd('pveum', 'user', 'add', 'ops@pve')
    assert.equal(again.code, 255)
    assert.equal(again.stderr, "create user failed: user 'ops@pve' already exists\n")
    assert.equal((await cmd('pveum', 'user', 'add', 'nouser')).code, 255)
    assert.deepEqual((await sim.readState()).users['ops@pve'], {comment: 'hyops', enable: 1})
  })

  it('pveum creates, lists and removes tokens; removing a token drops its ACLs', async () => {
    await cmd('pveum', 'user', 'add', 'tok@pve')
    const add = await cmd(
      'pveum',
      'user',
      'token',
      'add',
      'tok@pve',
      'tf',
      '--privsep',
      '0',
      '--expire',
      '0',
      '--output-format',
      'json',
    )
    assert.equal(add.code, 0, add.stderr)
    assert.equal(add.stdout.trim().split('\n').length, 1)
    const created = JSON.parse(add.stdout) as {'full-tokenid': string; info: Record<string, string>; value: string}
    assert.equal(created['full-tokenid'], 'tok@pve!tf')
    assert.deepEqual(created.info, {expire: '0', privsep: '0'})
    assert.match(created.value, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    assert.deepEqual((await sim.readState()).tokens['tok@pve!tf'], {expire: 0, privsep: 0, secret: created.value})

    const dup = await cmd('pveum', 'user', 'token', 'add', 'tok@pve', 'tf', '--privsep', '0', '--expire', '0')
    assert.equal(dup.code, 255)
    assert.equal(
      JSON.parse((await cmd('pveum', 'user', 'token', 'list', 'tok@pve', '--output-format', 'json')).stdout)[0].tokenid,
      'tf',
    )

    assert.equal(
      (
        await cmd(
          'pveum',
          'acl',
          'modify',
          '/storage',
          '--tokens',
          'tok@pve!tf',
          '--roles',
          'PVEDatastoreUser,PVEAuditor',
        )
      ).code,
      0,
    )
    assert.equal((await cmd('pveum', 'acl', 'modify', '/', '--users', 'tok@pve', '--roles', 'PVEVMAdmin')).code, 0)
    assert.equal((await cmd('pveum', 'acl', 'modify', '/', '--users', 'tok@pve', '--roles', 'NoSuchRole')).code, 255)
    assert.equal(
      (await cmd('pveum', 'acl', 'modify', '/', '--tokens', 'tok@pve!other', '--roles', 'PVEAuditor')).code,
      255,
    )
    const acls = JSON.parse((await cmd('pveum', 'acl', 'list', '--output-format', 'json')).stdout) as Array<{
      ugid: string
      roleid: string
    }>
    assert.deepEqual(
      acls.map((a) => `${a.ugid}:${a.roleid}`),
      // read_acl's order: the ACL tree (`/` first), then members and roles sorted.
      ['tok@pve:PVEVMAdmin', 'tok@pve!tf:PVEAuditor', 'tok@pve!tf:PVEDatastoreUser'],
    )

    assert.equal((await cmd('pveum', 'user', 'token', 'remove', 'tok@pve', 'tf')).code, 0)
    const state = await sim.readState()
    assert.equal(state.tokens['tok@pve!tf'], undefined)
    assert.deepEqual(
      state.acls.map((a) => a.ugid),
      ['tok@pve'],
    )
    assert.equal((await cmd('pveum', 'user', 'token', 'remove', 'tok@pve', 'tf')).code, 255)
    assert.equal((await cmd('pveum', 'user', 'token', 'list', 'ghost@pve')).code, 255)
  })

  it('fault token_add_fails makes token add exit 255 and create nothing', async () => {
    await cmd('pveum', 'user', 'add', 'fail@pve')
    await sim.updateState((s) => void (s.faults.token_add_fails = true))
    const add = await cmd(
      'pveum',
      'user',
      'token',
      'add',
      'fail@pve',
      'tf',
      '--privsep',
      '0',
      '--expire',
      '0',
      '--output-format',
      'json',
    )
    assert.equal(add.code, 255)
    assert.equal(add.stdout, '')
    assert.match(add.stderr, /token_add_fails/)
    assert.equal((await sim.readState()).tokens['fail@pve!tf'], undefined)
  })

  it('pvesh answers storage, nodes and version as one-line JSON, and fails under pvesh_fails', async () => {
    const storage = await cmd('pvesh', 'get', '/storage', '--output-format', 'json')
    assert.equal(storage.stdout.split('\n').length, 2)
    assert.deepEqual(
      JSON.parse(storage.stdout).map((s: {storage: string; type: string; content: string}) => [
        s.storage,
        s.type,
        s.content,
      ]),
      [
        ['local', 'dir', 'iso,vztmpl,backup,snippets'],
        ['local-lvm', 'lvmthin', 'images,rootdir'],
      ],
    )
    assert.deepEqual(JSON.parse((await cmd('pvesh', 'get', '/nodes', '--output-format', 'json')).stdout)[0], {
      id: 'node/pve1',
      level: '',
      maxcpu: 4,
      maxmem: 17179869184,
      node: 'pve1',
      status: 'online',
      type: 'node',
    })
    assert.equal(JSON.parse((await cmd('pvesh', 'get', '/version', '--output-format', 'json')).stdout).version, '8.2.4')
    await sim.updateState((s) => void (s.faults.pvesh_fails = true))
    const failed = await cmd('pvesh', 'get', '/storage', '--output-format', 'json')
    assert.equal(failed.code, 255)
    assert.equal(failed.stdout, '')
  })

  it('ip and hostname describe the interfaces, node and API IP of the state', async () => {
    await sim.updateState((s) => {
      s.interfaces.push({ifname: 'vmbr1', operstate: 'DOWN'}, {ifname: 'eno2', operstate: 'UP', master: 'vmbr1'})
      s.api_ip = '127.0.0.1'
    })
    const links = JSON.parse((await cmd('ip', '-j', 'link', 'show')).stdout) as Array<{
      ifname: string
      operstate: string
      master?: string
      flags: string[]
    }>
    assert.deepEqual(
      links.map((l) => [l.ifname, l.operstate, l.master ?? '']),
      [
        ['lo', 'UNKNOWN', ''],
        ['eno1', 'UP', 'vmbr0'],
        ['vmbr0', 'UP', ''],
        ['vmbr1', 'DOWN', ''],
        ['eno2', 'UP', 'vmbr1'],
      ],
    )
    const addrs = JSON.parse((await cmd('ip', '-j', '-4', 'addr', 'show')).stdout) as Array<{
      ifname: string
      addr_info: Array<{local: string; scope: string}>
    }>
    assert.deepEqual(
      addrs.find((a) => a.ifname === 'vmbr0')?.addr_info.map((a) => [a.local, a.scope]),
      [['127.0.0.1', 'global']],
    )
    assert.equal((await cmd('hostname')).stdout, 'pve1\n')
    assert.equal((await cmd('hostname', '-s')).stdout, 'pve1\n')
    assert.equal((await cmd('hostname', '-i')).stdout, '127.0.0.1\n')
    assert.equal((await cmd('hostname', '--ip-address')).stdout, '127.0.0.1\n')
    assert.equal((await cmd('hostname', '-I')).stdout.trim(), '127.0.0.1')
  })

  it('unknown subcommands fail with exit 2 and every invocation is logged with its argv', async () => {
    for (const argv of [
      ['pveum', 'frobnicate'],
      ['pvesh', 'get', '/nope'],
      ['pvesh', 'set', '/storage'],
      ['ip', 'tunnel'],
      ['hostname', '--bogus'],
    ]) {
      const result = await cmd(...argv)
      assert.equal(result.code, 2, argv.join(' '))
      assert.notEqual(result.stderr, '', argv.join(' '))
    }

    const log = await sim.execLog()
    assert.deepEqual(log.at(-1), ['hostname', '--bogus'])
    assert.ok(
      log.some(
        (argv) => argv.join(' ') === 'pveum user token add tok@pve tf --privsep 0 --expire 0 --output-format json',
      ),
    )
  })

  it('concurrent commands never lose an update', async () => {
    await Promise.all(Array.from({length: 8}, (_, i) => cmd('pveum', 'user', 'add', `many${i}@pve`)))
    const users = Object.keys((await sim.readState()).users)
    for (let i = 0; i < 8; i++) assert.ok(users.includes(`many${i}@pve`), `many${i}@pve`)
  })
})
