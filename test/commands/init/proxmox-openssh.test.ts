// The first-run scenario of hyops init proxmox against a real OpenSSH sshd
// (Debian's openssh-server on a loopback port, its own config and host key, the simulated
// host's fake Proxmox PATH and state), so the SSH client is proven against a real server.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {after, before, describe, it} from 'node:test'

import {startOpenSshd, type OpenSshd} from '../../fixtures/openssh/sshd.js'
import {startPveSim, type PveSim} from '../../fixtures/pve-sim/index.js'
import {cleanupTempDirs} from '../../helpers/cli.js'
import {assertFirstRun, initProxmox, prepareRoot, readMarkerJson, secretLeaks} from '../../helpers/proxmox-env.js'

describe('hyops init proxmox against a real OpenSSH sshd', () => {
  let sim: PveSim
  let sshd: OpenSshd
  before(async () => {
    sim = await startPveSim()
    sshd = await startOpenSshd({sim})
  })
  after(async () => {
    await sshd?.stop()
    await sim?.stop()
    await cleanupTempDirs()
  })

  it(
    'first run: exit 0, tfvars, marker ready, secret in the vault, token and ACLs on the host; ' +
      'sshd host key recorded; a re-run keeps the token',
    async (t) => {
      const at = await prepareRoot(sim, {extraConfig: {PROXMOX_SSH_PORT: sshd.port}})
      const run = await initProxmox(at)
      const {secret, terraformChecked} = await assertFirstRun(sim, at, run).catch((error: Error) => {
        throw new Error(`${error.message}\nsshd log:\n${sshd.log()}`)
      })
      if (!terraformChecked)
        t.diagnostic('terraform is not installed: the tfvars were checked by parseTfvars and the line grammar only')
      assert.match(sshd.log(), /Accepted publickey for root/, 'sshd, not the simulated SSH server, carried the run')

      // The host key recorded is sshd's own (accept-new), under [127.0.0.1]:<port>.
      const knownHosts = (await readFile(at.knownHostsFile, 'utf8'))
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('#'))
      assert.equal(knownHosts.length, 1, knownHosts.join('\n'))
      const [hosts, keyType, keyBase64] = knownHosts[0].split(' ')
      assert.equal(keyType, 'ssh-ed25519')
      assert.ok(hosts === `[127.0.0.1]:${sshd.port}` || hosts.startsWith('|1|'), hosts)
      const fingerprint =
        'SHA256:' + createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64').replace(/=+$/, '')
      assert.equal(fingerprint, sshd.hostKeyFingerprint)

      const again = await initProxmox(at)
      assert.equal(again.code, 0, again.stderr)
      assert.equal((await sim.readState()).tokens[at.tokenId]?.secret, secret, 'not rotated')
      assert.equal((await readMarkerJson(at))?.token?.action, 'kept')
      assert.deepEqual(await secretLeaks(at, [secret], [run, again], await sim.execLog()), [])
    },
  )
})
