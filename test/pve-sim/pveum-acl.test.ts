import assert from 'node:assert/strict'
import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, beforeEach, describe, it} from 'node:test'
import {readHostCalls, startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'
import {simCommand} from './helpers.js'

const U = 'automation@pam'
const T = `${U}!hyops`

type Row = {path: string; type: string; ugid: string; roleid: string; propagate: number}

describe('pve-sim pveum: ACLs, roles and tokens as API2/ACL.pm, Role.pm and User.pm do them', () => {
  let sim: PveSim
  const cmd = (...argv: string[]) => simCommand(sim, ...argv)
  const acls = async (): Promise<string[]> =>
    (JSON.parse((await cmd('pveum', 'acl', 'list', '--output-format', 'json')).stdout) as Row[]).map(
      (r) => `${r.path} ${r.ugid} ${r.roleid} ${r.propagate}`,
    )

  before(async () => {
    sim = await startPveSim({profile: 'pve9'})
  })
  after(async () => sim.stop())
  beforeEach(async () =>
    sim.updateState((s) => {
      s.users = {'root@pam': {comment: 'Built-in Superuser', enable: 1}, [U]: {enable: 1}}
      s.tokens = {[T]: {expire: 0, privsep: 1, secret: 's'}}
      s.acls = []
      s.custom_roles = {}
      s.faults = {}
    }),
  )

  it('acl modify adds roles, each with the call propagate flag; other roles of the member stay', async () => {
    assert.equal((await cmd('pveum', 'acl', 'modify', '/', '--users', U, '--roles', 'PVEAuditor')).code, 0)
    const zero = await cmd(
      'pveum',
      'acl',
      'modify',
      '/',
      '--users',
      U,
      '--tokens',
      T,
      '--roles',
      'PVEVMAdmin',
      '--propagate',
      '0',
    )
    assert.equal(zero.code, 0, zero.stderr)
    assert.deepEqual(await acls(), [`/ ${U} PVEAuditor 1`, `/ ${U} PVEVMAdmin 0`, `/ ${T} PVEVMAdmin 0`])
    await cmd('pveum', 'acl', 'modify', '/', '--users', U, '--roles', 'PVEVMAdmin')
    assert.deepEqual(await acls(), [`/ ${U} PVEAuditor 1`, `/ ${U} PVEVMAdmin 1`, `/ ${T} PVEVMAdmin 0`])
    // Paths are normalised (normalize_path).
    assert.equal(
      (await cmd('pveum', 'acl', 'modify', '//storage/', '--tokens', T, '--roles', 'PVEDatastoreUser')).code,
      0,
    )
    assert.ok((await acls()).includes(`/storage ${T} PVEDatastoreUser 1`))
  })

  it('acl delete removes roles of whichever listed member has them, without error for the others', async () => {
    await cmd('pveum', 'acl', 'modify', '/storage', '--tokens', T, '--roles', 'PVEDatastoreAdmin,PVEAuditor')
    await cmd('pveum', 'acl', 'modify', '/storage', '--users', U, '--roles', 'PVEAuditor')
    const del = await cmd(
      'pveum',
      'acl',
      'delete',
      '/storage',
      '--users',
      U,
      '--tokens',
      T,
      '--roles',
      'PVEDatastoreAdmin',
    )
    assert.deepEqual([del.code, del.stderr], [0, ''])
    assert.deepEqual(await acls(), [`/storage ${U} PVEAuditor 1`, `/storage ${T} PVEAuditor 1`])
    assert.equal((await cmd('pveum', 'acl', 'delete', '/vms/100', '--users', U, '--roles', 'PVEAuditor')).code, 0)
  })

  it('an unknown role, user or token aborts the whole call; nothing is written', async () => {
    const before = await sim.readState()
    const role = await cmd('pveum', 'acl', 'modify', '/', '--users', U, '--roles', 'PVEAuditor,NoSuchRole')
    assert.deepEqual([role.code, role.stderr], [255, "ACL update failed: role 'NoSuchRole' does not exist\n"])
    const who = await cmd('pveum', 'acl', 'modify', '/', '--users', `${U},ghost@pve`, '--roles', 'PVEAuditor')
    assert.deepEqual([who.code, who.stderr], [255, "ACL update failed: user 'ghost@pve' does not exist\n"])
    const tok = await cmd('pveum', 'acl', 'modify', '/', '--tokens', `${U}!other`, '--roles', 'PVEAuditor')
    assert.deepEqual([tok.code, tok.stderr], [255, `ACL update failed: no such token 'other' for user '${U}'\n`])
    const path = await cmd('pveum', 'acl', 'modify', '/storage/a/b', '--users', U, '--roles', 'PVEAuditor')
    assert.equal(path.code, 255)
    assert.match(path.stderr, /path: invalid ACL path '\/storage\/a\/b'/)
    assert.deepEqual((await sim.readState()).acls, before.acls)
    // root@pam is always Administrator: its ACLs are never written.
    assert.equal((await cmd('pveum', 'acl', 'modify', '/', '--users', 'root@pam', '--roles', 'PVEAuditor')).code, 0)
    assert.deepEqual(await acls(), [])
  })

  it('renders /etc/pve/user.cfg (mode 0640) after every change', async () => {
    await cmd('pveum', 'acl', 'modify', '/', '--users', U, '--tokens', T, '--roles', 'PVEAuditor')
    const file = join(sim.pveEtcDir, 'user.cfg')
    assert.equal((await stat(file)).mode & 0o777, 0o640)
    assert.equal(
      await readFile(file, 'utf8'),
      `user:${U}:1:0::::::\ntoken:${T}:0:1::\nuser:root@pam:1:0:::root@pve.example.invalid:Built-in Superuser::\n` +
        `\n\n\n\nacl:1:/:${U},${T}:PVEAuditor:\n`,
    )
  })

  it('role add refuses a privilege its version does not know, and PVE role ids; role list has objects', async () => {
    const monitor = await cmd('pveum', 'role', 'add', 'Hyops', '--privs', 'VM.Audit,VM.Monitor')
    assert.equal(monitor.code, 255)
    assert.match(
      monitor.stderr,
      /^400 Parameter verification failed\.\nprivs: invalid format - invalid privilege 'VM\.Monitor'\n/,
    )
    assert.equal((await cmd('pveum', 'role', 'add', 'PVEHyops', '--privs', 'VM.Audit')).code, 255)
    assert.equal((await cmd('pveum', 'role', 'add', 'Hyops', '--privs', 'VM.Audit,VM.GuestAgent.Audit')).code, 0)
    assert.equal((await cmd('pveum', 'role', 'modify', 'Hyops', '--privs', 'Sys.Audit', '--append', '1')).code, 0)
    const roles = JSON.parse((await cmd('pveum', 'role', 'list', '--output-format', 'json')).stdout) as Array<{
      roleid: string
      privs: string
      special: number
    }>
    assert.deepEqual(
      roles.find((r) => r.roleid === 'Hyops'),
      {privs: 'Sys.Audit,VM.Audit,VM.GuestAgent.Audit', roleid: 'Hyops', special: 0},
    )
    assert.equal(roles.find((r) => r.roleid === 'PVEAuditor')?.special, 1)
    const builtin = await cmd('pveum', 'role', 'modify', 'PVEAuditor', '--privs', 'Sys.Audit')
    assert.deepEqual([builtin.code, builtin.stderr], [255, "auto-generated role 'PVEAuditor' cannot be modified\n"])
  })

  it('user token modify changes privsep, comment and expire; --regenerate does not exist before 9.1', async () => {
    const mod = await cmd(
      'pveum',
      'user',
      'token',
      'modify',
      U,
      'hyops',
      '--privsep',
      '0',
      '--comment',
      'a:b',
      '--output-format',
      'json',
    )
    assert.equal(mod.code, 0, mod.stderr)
    assert.deepEqual(JSON.parse(mod.stdout), {comment: 'a:b', expire: 0, privsep: 0})
    assert.deepEqual((await sim.readState()).tokens[T], {comment: 'a:b', expire: 0, privsep: 0, secret: 's'})
    assert.match(await readFile(join(sim.pveEtcDir, 'user.cfg'), 'utf8'), /^token:automation@pam!hyops:0:0:a%3Ab:$/m)
    const regen = await cmd('pveum', 'user', 'token', 'modify', U, 'hyops', '--regenerate', '1')
    assert.equal(regen.code, 255)
    assert.match(regen.stderr, /^Unknown option: regenerate\n400 unable to parse option$/m)
    assert.equal((await sim.readState()).tokens[T].secret, 's')
    const none = await cmd('pveum', 'user', 'token', 'modify', U, 'nope', '--privsep', '1')
    assert.deepEqual([none.code, none.stderr], [255, `no such token 'nope' for user '${U}'\n`])
  })

  it('user list --full 1 includes the tokens', async () => {
    const list = JSON.parse(
      (await cmd('pveum', 'user', 'list', '--full', '1', '--output-format', 'json')).stdout,
    ) as Array<{
      userid: string
      tokens?: unknown[]
    }>
    assert.deepEqual(list.find((u) => u.userid === U)?.tokens, [{comment: '', expire: 0, privsep: 1, tokenid: 'hyops'}])
  })

  it('hostCalls counts only pveum, pvesh and pvesm; readHostCalls reads the same from the directory', async () => {
    const before = (await sim.hostCalls()).length
    await cmd('pveum', 'user', 'list', '--output-format', 'json')
    await cmd('pvesh', 'get', '/version', '--output-format', 'json')
    await cmd('hostname', '-s')
    await cmd('pvesm', 'set', 'local', '--content', 'iso,vztmpl,backup,snippets')
    const calls = await sim.hostCalls()
    assert.deepEqual(
      calls.slice(before).map((argv) => argv.slice(0, 2)),
      [
        ['pveum', 'user'],
        ['pvesh', 'get'],
        ['pvesm', 'set'],
      ],
    )
    assert.ok((await sim.execLog()).some((argv) => argv[0] === 'hostname'))
    assert.deepEqual(await readHostCalls(sim.dir), calls)
  })
})
