import assert from 'node:assert/strict'
import {createHmac, randomBytes} from 'node:crypto'
import {describe, it} from 'node:test'

import {HyopsError} from '../../../../src/lib/errors.js'
import {accountNodes, clusterKnownHosts, recordedHostKeys} from '../../../../src/lib/proxmox/provider-account/nodes.js'
import {accountInvocation, ACCOUNT_SCRIPT} from '../../../../src/lib/proxmox/provider-account/script.js'

const KEY_A = 'AAAAB3NzaC1yc2EAAAADAQABAAAAgQCa'
const KEY_B = 'AAAAB3NzaC1yc2EAAAADAQABAAAAgQCb'

function hashed(name: string): string {
  const salt = randomBytes(20)
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

describe('the nodes of the provider account', () => {
  it('lists every member, the run’s own node first at PROXMOX_IP, the others at their .members address', () => {
    const nodes = accountNodes('pve2', 'pve2.lan', [
      {ip: '10.0.0.1', name: 'pve1', online: true},
      {ip: '10.0.0.2', name: 'pve2', online: true},
      {ip: '10.0.0.3', name: 'pve3', online: true},
    ])
    assert.deepEqual(nodes, [
      {address: 'pve2.lan', local: true, name: 'pve2'},
      {address: '10.0.0.1', local: false, name: 'pve1'},
      {address: '10.0.0.3', local: false, name: 'pve3'},
    ])
    assert.deepEqual(accountNodes('pve1', '10.0.0.1', undefined), [{address: '10.0.0.1', local: true, name: 'pve1'}])
  })

  it('refuses an offline node or one without an address (exit 20 naming it)', () => {
    for (const member of [
      {ip: '10.0.0.2', name: 'pve2', online: false},
      {name: 'pve2', online: true},
    ]) {
      assert.throws(
        () => accountNodes('pve1', '10.0.0.1', [{ip: '10.0.0.1', name: 'pve1', online: true}, member]),
        (error: HyopsError) => error.exitCode === 20 && /node pve2/.test(error.message),
      )
    }
  })

  it('takes each node’s key from the cluster’s record, by name (plain or hashed) or by address', () => {
    const recorded = [`pve1 ssh-rsa ${KEY_A}`, `${hashed('pve2')} ssh-rsa ${KEY_B}`, `10.0.0.3 ssh-rsa ${KEY_A}`].join(
      '\n',
    )
    assert.deepEqual(
      recordedHostKeys(recorded, {name: 'pve1'}).map((e) => e.keyBase64),
      [KEY_A],
    )
    assert.deepEqual(
      recordedHostKeys(recorded, {name: 'pve2'}).map((e) => e.keyBase64),
      [KEY_B],
    )
    assert.deepEqual(
      recordedHostKeys(recorded, {ip: '10.0.0.3', name: 'pve3'}).map((e) => e.keyBase64),
      [KEY_A],
    )
    const nodes = accountNodes('pve1', '10.0.0.1', [
      {ip: '10.0.0.1', name: 'pve1', online: true},
      {ip: '10.0.0.2', name: 'pve2', online: true},
    ])
    const members = nodes.map((n) => ({ip: n.address, name: n.name, online: true}))
    assert.equal(
      clusterKnownHosts(nodes, members, recorded, 2222),
      `[10.0.0.1]:2222 ssh-rsa ${KEY_A}\n[10.0.0.2]:2222 ssh-rsa ${KEY_B}\n`,
    )
    assert.throws(
      () => clusterKnownHosts(nodes, members, `pve1 ssh-rsa ${KEY_A}`, 22),
      (error: HyopsError) => error.reason === 'host-key-unknown' && /pvecm updatecerts/.test(error.hint ?? ''),
    )
  })

  it('sends the piece on stdin: env assignments as root, exports under sudo -n bash -s', () => {
    const request = {account: 'terraform', mode: 'apply' as const, publicKey: "ssh-ed25519 AAAA o'k"}
    const root = accountInvocation(request)
    assert.match(
      root.command,
      /^env ACCOUNT='terraform' ACCOUNT_MODE='apply' ACCOUNT_KEY='ssh-ed25519 AAAA o'\\''k' .*bash -s$/,
    )
    assert.equal(root.stdin, ACCOUNT_SCRIPT)
    const sudo = accountInvocation({...request, sudo: true})
    assert.equal(sudo.command, 'sudo -n bash -s')
    assert.match(sudo.stdin, /^export ACCOUNT='terraform'$/m)
    assert.ok(sudo.stdin.endsWith(ACCOUNT_SCRIPT))
  })
})
