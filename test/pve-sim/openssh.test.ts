import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {generateWellFormedPair} from '../../src/lib/ssh/keygen.js'
import {startOpenSshd, type OpenSshd} from '../fixtures/openssh/sshd.js'
import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'
import {connectSsh} from './helpers.js'

describe('real OpenSSH sshd harness', () => {
  let sim: PveSim
  let sshd: OpenSshd
  before(async () => {
    sim = await startPveSim()
    sshd = await startOpenSshd({sim})
  })
  after(async () => {
    await sshd?.stop()
    await sim?.stop()
  })

  it('runs pvesh through the fake PATH and shows its own host key', async () => {
    const {ssh, fingerprint} = await connectSsh(sshd.port, {privateKeyPath: sim.clientKey.privateKeyPath})
    try {
      const result = await ssh.execCommand('command -v pvesh; pvesh get /storage --output-format json')
      assert.equal(result.code, 0, result.stderr + sshd.log())
      const [where, json] = result.stdout.split('\n')
      assert.equal(where, `${sim.binDir}/pvesh`)
      assert.deepEqual(
        JSON.parse(json).map((s: {storage: string}) => s.storage),
        ['local', 'local-lvm'],
      )
      const script = await ssh.execCommand('bash -s', {
        stdin: 'set -e\npveum user add real@pve\necho "home=$HOME etc=$HYOPS_PVE_ETC"\n',
      })
      assert.equal(script.code, 0, script.stderr)
      assert.equal(script.stdout, `home=${sim.homeDir} etc=${sim.pveEtcDir}`)
    } finally {
      ssh.dispose()
    }

    assert.equal(fingerprint(), sshd.hostKeyFingerprint)
    assert.notEqual(sshd.hostKeyFingerprint, sim.hostKeyFingerprint)
    assert.ok((await sim.readState()).users['real@pve'])
    assert.deepEqual((await sim.execLog()).at(-1), ['pveum', 'user', 'add', 'real@pve'])
  })

  it('refuses an unknown key', async () => {
    const stranger = (await generateWellFormedPair('stranger')).private
    await assert.rejects(connectSsh(sshd.port, {privateKey: stranger}), /authentication methods failed/)
  })
})
