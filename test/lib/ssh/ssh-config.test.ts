import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {HyopsError} from '../../../src/lib/errors.js'
import {hostConfig, parseProxyJump, readSshConfig} from '../../../src/lib/ssh/ssh-config.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'

const CONFIG = `
Host pve-lab lab-?
  HostName 10.0.0.%h
  User deploy
  IdentityFile ~/.ssh/lab_key
  IdentityFile /keys/%r@%h
  IdentitiesOnly yes
  ProxyJump bastion,admin@[fd00::1]:2222
  UserKnownHostsFile ~/.ssh/lab_hosts /etc/ssh/lab_hosts
  StrictHostKeyChecking Yes

Host !pve-lab *
  Port 2200
  User nobody

Host *
  Port 22
  ProxyJump none
`

describe('ssh-config', () => {
  after(cleanupTempDirs)

  it('computes the first matching value of each directive, with %h, %r and ~ expanded', async () => {
    const dir = await tempDir()
    const path = join(dir, 'config')
    await writeFile(path, CONFIG)
    const file = await readSshConfig(path, 'PROXMOX_SSH_CONFIG')
    const lab = hostConfig(file, 'pve-lab')
    assert.deepEqual(lab, {
      hostName: '10.0.0.pve-lab',
      identitiesOnly: true,
      identityFiles: [join(homedir(), '.ssh', 'lab_key'), '/keys/deploy@10.0.0.pve-lab'],
      port: 22,
      proxyJump: [{host: 'bastion'}, {host: 'fd00::1', port: 2222, user: 'admin'}],
      strictHostKeyChecking: 'yes',
      user: 'deploy',
      userKnownHostsFiles: [join(homedir(), '.ssh', 'lab_hosts'), '/etc/ssh/lab_hosts'],
    })
    // A later Host * does not override what an earlier block set; a negated pattern skips the block.
    const other = hostConfig(file, 'other')
    assert.equal(other.port, 2200)
    assert.equal(other.user, 'nobody')
    assert.deepEqual(other.proxyJump, [])
    assert.equal(hostConfig(file, 'lab-1').user, 'deploy')
  })

  it('a missing default file is no config; a missing explicit one or a bad value is exit 11', async () => {
    const dir = await tempDir()
    const missing = join(dir, 'nope')
    assert.deepEqual(hostConfig(await readSshConfig(missing), 'x'), {identityFiles: []})
    await assert.rejects(readSshConfig(missing, 'PROXMOX_SSH_CONFIG'), (error: HyopsError) => {
      assert.equal(error.exitCode, 11)
      assert.match(error.message, new RegExp(missing))
      assert.match(error.hint ?? '', /PROXMOX_SSH_CONFIG/)
      return true
    })
    const bad = join(dir, 'bad')
    await writeFile(bad, 'Host x\n  Port 99999\n')
    await assert.rejects(
      (async () => hostConfig(await readSshConfig(bad), 'x'))(),
      (error: HyopsError) => error.exitCode === 11 && /Port 99999/.test(error.message),
    )
  })

  it('parses ProxyJump lists and refuses a hop that is not [user@]host[:port]', () => {
    assert.deepEqual(parseProxyJump('a, u@b:2201 ,ssh://c'), [
      {host: 'a'},
      {host: 'b', port: 2201, user: 'u'},
      {host: 'c'},
    ])
    assert.deepEqual(parseProxyJump('NONE'), [])
    for (const bad of ['a,,b', 'host:port', 'a b'])
      assert.throws(
        () => parseProxyJump(bad),
        (error: HyopsError) => error.exitCode === 11,
        bad,
      )
  })
})
