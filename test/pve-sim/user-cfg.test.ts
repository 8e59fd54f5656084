import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {encodeText, renderUserCfg} from '../fixtures/pve-sim/lib/pve-etc.mjs'
import {profileSimState, type SimState} from '../fixtures/pve-sim/index.js'

function state(): SimState {
  return {
    ...profileSimState('pve8'),
    users: {
      'root@pam': {enable: 1},
      'automation@pam': {comment: 'hyops: automation', enable: 1},
      'alice@pve': {email: 'alice@example.com', enable: 0, expire: 1900000000, firstname: 'Alice', lastname: 'Müller'},
    },
    tokens: {
      'automation@pam!hyops': {comment: 'made by hyops: 2026', expire: 0, privsep: 1, secret: 's1'},
      'automation@pam!ansible': {expire: 1800000000, privsep: 0, secret: 's2'},
      'alice@pve!t1': {comment: '100%', expire: 0, privsep: 1, secret: 's3'},
    },
    custom_roles: {HyopsPacker: 'VM.Console,Datastore.AllocateTemplate,VM.Monitor', AAudit: 'Sys.Audit'},
    acls: [
      {path: '/', type: 'user', ugid: 'automation@pam', roles: ['PVEVMAdmin', 'PVEAuditor'], propagate: 1},
      {path: '/', type: 'token', ugid: 'automation@pam!hyops', roles: ['PVEAuditor', 'PVEVMAdmin']},
      // root@pam is always Administrator: never written.
      {path: '/', type: 'user', ugid: 'root@pam', roles: ['Administrator']},
      {path: '/storage/local', type: 'token', ugid: 'automation@pam!hyops', roles: ['HyopsPacker'], propagate: 0},
      {path: '/storage/local', type: 'token', ugid: 'automation@pam!hyops', roles: ['PVEDatastoreUser'], propagate: 1},
      {path: '/storage', type: 'user', ugid: 'automation@pam', roles: ['PVEDatastoreAdmin']},
      {path: '/storage', type: 'user', ugid: 'alice@pve', roles: ['PVEDatastoreAdmin']},
      // parse_user_config drops a role that does not exist and the ACLs of a token that does not.
      {path: '/sdn/zones', type: 'user', ugid: 'alice@pve', roles: ['NoSuchRole']},
      {path: '/access', type: 'token', ugid: 'ghost@pve!x', roles: ['PVEAuditor']},
      {path: '/vms/100', type: 'user', ugid: 'alice@pve', roles: ['NoAccess', 'AAudit'], propagate: 0},
    ],
  }
}

describe('pve-sim user.cfg (write_user_config)', () => {
  it('renders users, tokens, custom roles and ACLs byte for byte', () => {
    assert.equal(
      renderUserCfg(state()),
      [
        'user:alice@pve:0:1900000000:Alice:M%C3%BCller:alice@example.com:::',
        'token:alice@pve!t1:0:1:100%25:',
        'user:automation@pam:1:0::::hyops%3A automation::',
        'token:automation@pam!ansible:1800000000:0::',
        'token:automation@pam!hyops:0:1:made by hyops%3A 2026:',
        'user:root@pam:1:0:::root@pve.example.invalid:::',
        '',
        '',
        '',
        'role:AAudit:Sys.Audit:',
        'role:HyopsPacker:Datastore.AllocateTemplate,VM.Console,VM.Monitor:',
        '',
        'acl:1:/:automation@pam,automation@pam!hyops:PVEAuditor,PVEVMAdmin:',
        'acl:1:/storage:alice@pve,automation@pam:PVEDatastoreAdmin:',
        'acl:0:/storage/local:automation@pam!hyops:HyopsPacker:',
        'acl:1:/storage/local:automation@pam!hyops:PVEDatastoreUser:',
        'acl:0:/vms/100:alice@pve:AAudit,NoAccess:',
        '',
      ].join('\n'),
    )
  })

  it('a fresh host: root only, four separators, no roles, no ACLs', () => {
    assert.equal(
      renderUserCfg(profileSimState('pve9')),
      'user:root@pam:1:0:::root@pve.example.invalid:Built-in Superuser::\n\n\n\n\n',
    )
  })

  it('groups get their own section and @-prefixed ACL members', () => {
    const s = {
      ...profileSimState('pve8'),
      users: {'root@pam': {enable: 1 as const}, 'bob@pve': {enable: 1 as const}},
      groups: {ops: {comment: 'on call', users: ['bob@pve']}},
      acls: [{path: '/nodes', type: 'group' as const, ugid: 'ops', roles: ['PVEAuditor'], propagate: 1 as const}],
    }
    assert.equal(
      renderUserCfg(s),
      'user:bob@pve:1:0::::::\nuser:root@pam:1:0:::root@pve.example.invalid:::\n\ngroup:ops:bob@pve:on call:\n\n\n\n' +
        'acl:1:/nodes:@ops:PVEAuditor:\n',
    )
  })

  it('a custom role keeps only privileges its version knows (VM.Monitor is gone on 9)', () => {
    const s = {...profileSimState('pve9'), custom_roles: {Mon: 'VM.Monitor,VM.Audit'}}
    assert.match(renderUserCfg(s), /^role:Mon:VM\.Audit:$/m)
  })

  it('encode_text escapes %, : and every byte outside 0x20-0x7e, in upper-case hex', () => {
    assert.equal(encodeText('a:b%c d~\t\né'), 'a%3Ab%25c d~%09%0A%C3%A9')
  })
})
