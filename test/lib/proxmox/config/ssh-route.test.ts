import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {applySshConfig} from '../../../../src/lib/proxmox/config/ssh-route.js'
import {cleanupTempDirs, tempDir} from '../../../helpers/cli.js'
import {testInputs} from '../bootstrap/helpers.js'

describe('applySshConfig', () => {
  after(cleanupTempDirs)

  async function configFile(text: string): Promise<string> {
    const path = join(await tempDir(), 'config')
    await writeFile(path, text)
    return path
  }

  it('an alias fills host, user, port and key where hyops has only defaults; jump hops resolved', async () => {
    const sshConfig = await configFile(
      [
        'Host pve1',
        '  HostName 10.0.0.5',
        '  User deploy',
        '  Port 2222',
        '  IdentityFile /keys/pve',
        '  IdentityFile /keys/spare',
        '  ProxyJump bastion',
        '  StrictHostKeyChecking yes',
        'Host bastion',
        '  HostName 192.0.2.1',
        '  User jumper',
        '',
      ].join('\n'),
    )
    const inputs = testInputs({
      host: 'pve1',
      sources: {host: 'config', sshKey: 'default', sshPort: 'default', sshUsername: 'default'},
      sshConfig,
      sshKey: '/home/op/.ssh/id_ed25519',
    })
    const {inputs: out, route} = await applySshConfig(inputs)
    assert.equal(out.host, '10.0.0.5')
    assert.equal(out.sshUsername, 'deploy')
    assert.equal(out.sshPort, 2222)
    assert.equal(out.sshKey, '/keys/pve')
    assert.deepEqual(out.sources, {
      host: 'ssh-config',
      sshKey: 'ssh-config',
      sshPort: 'ssh-config',
      sshUsername: 'ssh-config',
    })
    assert.deepEqual(route.identityFiles, ['/keys/pve', '/keys/spare'])
    assert.equal(route.alias, 'pve1')
    assert.equal(route.hostKeyPolicy, 'strict')
    assert.equal(route.jumps.length, 1)
    assert.deepEqual(
      {...route.jumps[0], identityFiles: undefined},
      {
        host: '192.0.2.1',
        identityFiles: undefined,
        port: 22,
        username: 'jumper',
      },
    )
    assert.equal(route.jumps[0].identityFiles[0], '/keys/pve', "the host's key is tried on the hop first")
  })

  it("hyops' own flag, env and config values win; none reads nothing", async () => {
    const sshConfig = await configFile('Host *\n  User deploy\n  Port 2222\n  IdentityFile /keys/pve\n')
    const inputs = testInputs({
      sources: {sshKey: 'flag', sshPort: 'env', sshUsername: 'config'},
      sshConfig,
      sshKey: '/mine',
      sshPort: 22,
      sshUsername: 'root',
    })
    const {inputs: out, route} = await applySshConfig(inputs)
    assert.deepEqual([out.sshKey, out.sshPort, out.sshUsername], ['/mine', 22, 'root'])
    assert.deepEqual(route.identityFiles, ['/mine'])
    const none = await applySshConfig(testInputs({sources: {}, sshConfig: 'none'}))
    assert.equal(none.route.configPath, undefined)
    assert.equal(none.inputs.sshPort, 22)
  })
})

describe('applySshConfig: Include and nested ProxyJump', () => {
  after(cleanupTempDirs)

  it('follows Include (globs, sorted) and the first hop own ProxyJump, without looping on Host *', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'b.conf'), 'Host inner\n  HostName 10.1.1.1\n  ProxyJump outer\n')
    await writeFile(join(dir, 'a.conf'), 'Host pve2\n  HostName 10.0.0.6\n  ProxyJump inner,last:2022\n')
    const path = join(dir, 'config')
    await writeFile(path, `Include ${dir}/*.conf\nHost *\n  ProxyJump outer\n  User op\n`)
    const {inputs, route} = await applySshConfig(testInputs({host: 'pve2', sources: {}, sshConfig: path}))
    assert.equal(inputs.host, '10.0.0.6')
    assert.deepEqual(
      route.jumps.map((hop) => `${hop.username}@${hop.host}:${hop.port}`),
      ['op@outer:22', 'op@10.1.1.1:22', 'op@last:2022'],
    )
  })
})
