import assert from 'node:assert/strict'
import {appendFile, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, afterEach, before, describe, it} from 'node:test'

import {generateWellFormedPair} from '../../src/lib/ssh/keygen.js'
import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'
import {connectSsh} from './helpers.js'

describe('pve-sim SSH server', () => {
  let sim: PveSim
  before(async () => {
    sim = await startPveSim({state: {node: 'pve-test'}})
  })
  after(async () => sim.stop())
  afterEach(async () => sim.updateState((s) => void (s.faults = {})))

  it('accepts the client key, shows its host key and runs commands with the fake Proxmox PATH', async () => {
    const {ssh, fingerprint} = await connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath})
    try {
      assert.equal(fingerprint(), sim.hostKeyFingerprint)
      const result = await ssh.execCommand('command -v pveum; hostname; echo "$HOME"; pwd; echo "$USER"')
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(result.stdout.split('\n'), [
        join(sim.binDir, 'pveum'),
        'pve-test',
        sim.homeDir,
        sim.homeDir,
        'root',
      ])
    } finally {
      ssh.dispose()
    }
  })

  it('refuses an unknown key, a wrong user and a wrong password', async () => {
    const stranger = (await generateWellFormedPair('stranger')).private
    await assert.rejects(connectSsh(sim.sshPort, {privateKey: stranger}), /authentication methods failed/)
    await assert.rejects(
      connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath, username: 'admin'}),
      /authentication methods failed/,
    )
    await assert.rejects(connectSsh(sim.sshPort, {password: 'wrong'}), /authentication methods failed/)
  })

  it('accepts the root password and a key appended to authorized_keys later', async () => {
    const {root_password: password} = await sim.readState()
    const byPassword = await connectSsh(sim.sshPort, {password})
    byPassword.ssh.dispose()
    const extra = await generateWellFormedPair('added')
    await assert.rejects(connectSsh(sim.sshPort, {privateKey: extra.private}))
    await appendFile(join(sim.homeDir, '.ssh', 'authorized_keys'), `no-pty,environment="X=1" ${extra.public}\n`)
    const byNewKey = await connectSsh(sim.sshPort, {privateKey: extra.private})
    byNewKey.ssh.dispose()
  })

  it('pipes stdin to bash, streams stdout and stderr, returns the exit code and honours env requests', async () => {
    const {ssh} = await connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath})
    try {
      const script =
        'echo "in:$GREETING"; head -c 3 "$HYOPS_PVE_ETC/pve-root-ca.pem" | od -c | head -1 ' +
        '>/dev/null; echo oops >&2; exit 7\n'
      const result = await ssh.execCommand('bash -s', {execOptions: {env: {GREETING: 'hi there'}}, stdin: script})
      assert.equal(result.code, 7)
      assert.equal(result.stdout, 'in:hi there')
      assert.equal(result.stderr, 'oops')
      const ca = await ssh.execCommand('cat "$HYOPS_PVE_ETC/pve-root-ca.pem"')
      assert.equal(ca.stdout + '\n', await readFile(sim.caFile, 'utf8'))
    } finally {
      ssh.dispose()
    }

    const commands = await sim.execCommands()
    assert.ok(commands.includes('bash -s'))
  })

  it('serves concurrent sessions on one connection and on several connections', async () => {
    const clients = await Promise.all(
      [1, 2, 3].map(() => connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath})),
    )
    try {
      const results = await Promise.all(
        clients.flatMap(({ssh}, i) => [0, 1].map((j) => ssh.execCommand(`sleep 0.05; echo ${i}-${j}`))),
      )
      assert.deepEqual(
        results.map((r) => r.stdout),
        ['0-0', '0-1', '1-0', '1-1', '2-0', '2-1'],
      )
    } finally {
      for (const {ssh} of clients) ssh.dispose()
    }
  })

  it('fault ssh_refuse_key refuses the key but not the password', async () => {
    await sim.updateState((s) => void (s.faults.ssh_refuse_key = true))
    await assert.rejects(
      connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath}),
      /authentication methods failed/,
    )
    const {root_password: password} = await sim.readState()
    const {ssh} = await connectSsh(sim.sshPort, {password})
    ssh.dispose()
  })

  it('fault host_key_changed presents the second host key', async () => {
    assert.notEqual(sim.changedHostKeyFingerprint, sim.hostKeyFingerprint)
    await sim.updateState((s) => void (s.faults.host_key_changed = true))
    const {ssh, fingerprint} = await connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath})
    ssh.dispose()
    assert.equal(fingerprint(), sim.changedHostKeyFingerprint)
  })

  it('fault script_exit fails every exec before anything runs', async () => {
    await sim.updateState((s) => void (s.faults.script_exit = 42))
    const {ssh} = await connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath})
    try {
      const result = await ssh.execCommand('bash -s', {stdin: 'pveum user add made@pve\n'})
      assert.equal(result.code, 42)
      assert.match(result.stderr, /script_exit/)
    } finally {
      ssh.dispose()
    }

    assert.equal((await sim.readState()).users['made@pve'], undefined)
  })

  it('reports a signal that killed the command', async () => {
    const {ssh} = await connectSsh(sim.sshPort, {privateKeyPath: sim.clientKey.privateKeyPath})
    try {
      const result = await ssh.execCommand('kill -TERM $$')
      assert.equal(result.code, null)
      assert.equal(result.signal, 'SIGTERM')
    } finally {
      ssh.dispose()
    }
  })
})
