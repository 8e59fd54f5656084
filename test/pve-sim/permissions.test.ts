import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {effectivePermissions, privilegesAt, rolesAt} from '../fixtures/pve-sim/lib/permissions.mjs'
import {builtinRoles} from '../fixtures/pve-sim/lib/profiles.mjs'
import {legacyGrants, profileSimState, type SimAcl, type SimState} from '../fixtures/pve-sim/index.js'
import {TELMATE_MINIMUM} from '../../src/lib/proxmox/permissions/profiles.js'

const U = 'automation@pam'
const T = `${U}!hyops`

function host(acls: SimAcl[], privsep: 0 | 1 = 1, profile: 'pve8' | 'pve9' | 'pve7.4' = 'pve8'): SimState {
  return {
    ...profileSimState(profile),
    users: {'root@pam': {enable: 1}, [U]: {enable: 1}},
    tokens: {[T]: {expire: 0, privsep, secret: 's'}, 'root@pam!r': {expire: 0, privsep: 1, secret: 'r'}},
    acls,
  }
}

const user = (path: string, roles: string[], propagate: 0 | 1 = 1): SimAcl => ({
  path,
  propagate,
  roles,
  type: 'user',
  ugid: U,
})
const token = (path: string, roles: string[], propagate: 0 | 1 = 1): SimAcl => ({
  path,
  propagate,
  roles,
  type: 'token',
  ugid: T,
})
const names = (privs: Record<string, number>): string[] => Object.keys(privs).sort()
const roleOf = (s: SimState, role: string): string[] => [...builtinRoles(s)[role]].sort()

describe('pve-sim permission model (AccessControl::roles, RPCEnvironment::permissions)', () => {
  it('a more specific path replaces the inherited roles of that user', () => {
    const s = host([user('/', ['PVEAdmin']), user('/storage', ['PVEAuditor'])])
    assert.deepEqual(rolesAt(s, U, '/storage/local'), {PVEAuditor: 1})
    assert.deepEqual(names(privilegesAt(s, U, '/storage/local')), roleOf(s, 'PVEAuditor'))
    assert.equal(privilegesAt(s, U, '/storage/local')['Datastore.Allocate'], undefined)
    assert.deepEqual(names(privilegesAt(s, U, '/vms/100')), roleOf(s, 'PVEAdmin'))
  })

  it('propagate 0 applies only on its own path and does not cut off what is inherited below it', () => {
    const s = host([user('/', ['PVEVMAdmin']), user('/storage', ['PVEDatastoreUser'], 0)])
    assert.deepEqual(rolesAt(s, U, '/storage'), {PVEDatastoreUser: 0})
    assert.deepEqual(privilegesAt(s, U, '/storage'), {'Datastore.AllocateSpace': 0, 'Datastore.Audit': 0})
    assert.deepEqual(rolesAt(s, U, '/storage/local'), {PVEVMAdmin: 1})
    const top = host([user('/', ['PVEAuditor'], 0)])
    assert.deepEqual(names(privilegesAt(top, U, '/')), roleOf(top, 'PVEAuditor'))
    assert.deepEqual(privilegesAt(top, U, '/nodes'), {})
  })

  it('a privilege is propagated when any role holding it is', () => {
    const s = host([user('/', ['PVEDatastoreUser']), user('/', ['PVEDatastoreAdmin'], 0)])
    assert.deepEqual(privilegesAt(s, U, '/'), {
      'Datastore.Allocate': 0,
      'Datastore.AllocateSpace': 1,
      'Datastore.AllocateTemplate': 0,
      'Datastore.Audit': 1,
    })
  })

  it('a privsep=1 token has the intersection of its own and its user privileges', () => {
    const s = host([user('/', ['PVEAuditor']), token('/', ['Administrator']), token('/storage', ['PVEDatastoreAdmin'])])
    assert.deepEqual(names(privilegesAt(s, T, '/')), roleOf(s, 'PVEAuditor'))
    // The user has only Datastore.Audit there (PVEAuditor propagated from /).
    assert.deepEqual(privilegesAt(s, T, '/storage/local'), {'Datastore.Audit': 1})
    // Without ACLs of its own a privsep token has nothing, whatever its user has.
    assert.deepEqual(privilegesAt(host([user('/', ['PVEAdmin'])]), T, '/'), {})
    // Both propagate flags combine.
    const flags = host([user('/', ['PVEAuditor'], 0), token('/', ['PVEAuditor'])])
    assert.equal(privilegesAt(flags, T, '/')['Sys.Audit'], 0)
  })

  it('a privsep=0 token has exactly its user privileges; its own ACLs do not count', () => {
    const s = host([user('/', ['PVEAuditor']), token('/', ['Administrator'])], 0)
    assert.deepEqual(privilegesAt(s, T, '/'), privilegesAt(s, U, '/'))
    assert.deepEqual(rolesAt(s, T, '/'), {PVEAuditor: 1})
  })

  it('NoAccess wins on its path and below, until a more specific ACL', () => {
    const s = host([
      user('/', ['PVEAdmin']),
      user('/storage', ['NoAccess', 'PVEAuditor']),
      user('/storage/local', ['PVEDatastoreUser']),
    ])
    assert.deepEqual(rolesAt(s, U, '/storage'), {NoAccess: 1})
    assert.deepEqual(privilegesAt(s, U, '/storage'), {})
    assert.deepEqual(privilegesAt(s, U, '/storage/nfs'), {})
    assert.deepEqual(names(privilegesAt(s, U, '/storage/local')), ['Datastore.AllocateSpace', 'Datastore.Audit'])
  })

  it('root@pam has every privilege of Administrator; its privsep tokens only their own ACLs', () => {
    const s = host([])
    const all = privilegesAt(s, 'root@pam', '/anything')
    assert.deepEqual(names(all), roleOf(s, 'Administrator'))
    assert.ok(Object.values(all).every((v) => v === 1))
    assert.deepEqual(privilegesAt(s, 'root@pam!r', '/'), {})
    s.acls.push({path: '/', roles: ['PVEAuditor'], type: 'token', ugid: 'root@pam!r'})
    assert.deepEqual(names(privilegesAt(s, 'root@pam!r', '/')), roleOf(s, 'PVEAuditor'))
    s.tokens['root@pam!r'].privsep = 0
    assert.deepEqual(names(privilegesAt(s, 'root@pam!r', '/')), roleOf(s, 'Administrator'))
  })

  it('an unknown token, or a token whose user is gone, has nothing', () => {
    const s = host([user('/', ['PVEAdmin'])], 0)
    assert.deepEqual(privilegesAt(s, `${U}!nope`, '/'), {})
    delete s.users[U]
    assert.deepEqual(privilegesAt(s, T, '/'), {})
  })

  it('group ACLs apply to members; a user ACL on the same path overrides them', () => {
    const s = host([{path: '/', propagate: 1, roles: ['PVEAdmin'], type: 'group', ugid: 'ops'}])
    s.groups = {ops: {users: [U]}}
    assert.deepEqual(rolesAt(s, U, '/vms'), {PVEAdmin: 1})
    s.acls.push(user('/', ['PVEAuditor']))
    assert.deepEqual(rolesAt(s, U, '/vms'), {PVEAuditor: 1})
  })

  it('custom roles use the profile privileges only (VM.Monitor is ignored on 9)', () => {
    const s = host([user('/', ['Mon'])], 1, 'pve9')
    s.custom_roles = {Mon: 'VM.Monitor,VM.Audit'}
    assert.deepEqual(privilegesAt(s, U, '/'), {'VM.Audit': 1})
    const eight = host([user('/', ['Mon'])], 1, 'pve8')
    eight.custom_roles = {Mon: 'VM.Monitor,VM.Audit'}
    assert.deepEqual(names(privilegesAt(eight, U, '/')), ['VM.Audit', 'VM.Monitor'])
  })

  it('effective permissions: the top-level paths and every ACL tree node, empty ones left out', () => {
    const s = host([
      user('/storage', ['PVEDatastoreUser']),
      user('/sdn/zones/z1', ['PVESDNUser']),
      user('/vms/100', ['PVEAuditor'], 0),
    ])
    const eff = effectivePermissions(s, U)
    assert.deepEqual(Object.keys(eff), ['/sdn/zones/z1', '/storage', '/vms/100'])
    assert.deepEqual(eff['/sdn/zones/z1'], {'SDN.Audit': 1, 'SDN.Use': 1})
    assert.deepEqual(Object.keys(effectivePermissions(s, 'root@pam')), [
      '/',
      '/access',
      '/access/groups',
      '/nodes',
      '/pool',
      '/sdn',
      '/sdn/zones',
      '/sdn/zones/z1',
      '/storage',
      '/vms',
      '/vms/100',
    ])
  })

  it('legacyGrants: what earlier hyops releases granted, which lacks what the Telmate provider needs on /', () => {
    const grants = legacyGrants(U, T)
    assert.deepEqual(
      grants.map((g) => `${g.type} ${g.path} ${g.roles.join('+')} ${g.propagate}`),
      [
        'user / PVEVMAdmin+PVEAuditor 1',
        'token / PVEVMAdmin+PVEAuditor 1',
        'user /storage PVEDatastoreAdmin 1',
        'token /storage PVEDatastoreAdmin 1',
        'user /sdn/zones PVESDNUser 1',
        'token /sdn/zones PVESDNUser 1',
      ],
    )
    assert.deepEqual(legacyGrants(U, 'hyops'), grants)
    const s = host(grants)
    // Telmate provider.go minimumPermissions, checked with GetUserPermissions(user, "/").
    const telmate = TELMATE_MINIMUM
    const have = privilegesAt(s, U, '/')
    assert.deepEqual(
      telmate.filter((p) => have[p] === undefined),
      ['Datastore.AllocateSpace', 'Pool.Allocate', 'Sys.Console', 'Sys.Modify'],
    )
    assert.ok(privilegesAt(s, T, '/storage/local')['Datastore.Allocate'] !== undefined)
  })
})
