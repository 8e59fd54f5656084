import assert from 'node:assert/strict'
import {chmod, lstat, mkdir, readFile, readlink, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, beforeEach, describe, it} from 'node:test'
import {NodeSSH} from 'node-ssh'

import {ExitCode, HyopsError} from '../../../src/lib/errors.ts'
import {connectSsh, type SshSession} from '../../../src/lib/ssh/connection.ts'
import {installAuthorizedKey} from '../../../src/lib/ssh/key-install.ts'
import {generateEd25519KeyPair, type GeneratedKeyPair} from '../../../src/lib/ssh/keygen.ts'
import {startPveSim, type PveSim} from '../../fixtures/pve-sim/index.ts'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.ts'

const mode = async (path: string) => (await stat(path)).mode & 0o777
const count = (text: string, part: string) => text.split(part).length - 1

describe('installAuthorizedKey on the simulated Proxmox host', () => {
  let sim: PveSim
  let work: string
  let operatorKey: GeneratedKeyPair
  let sshDir: string
  let authorizedKeys: string
  const sessions: Array<{dispose(): void}> = []

  /** A password session as root, as `hyops init proxmox` opens one to install the key. */
  async function passwordSession(): Promise<SshSession> {
    const {root_password: password} = await sim.readState()
    const session = await connectSsh({
      host: sim.host,
      hostKeyPolicy: 'accept-new',
      knownHostsFile: join(work, 'known_hosts'),
      password,
      port: sim.sshPort,
      username: 'root',
    })
    sessions.push(session)
    return session
  }

  async function keySession(privateKeyPath: string): Promise<SshSession> {
    const session = await connectSsh({
      host: sim.host,
      hostKeyPolicy: 'accept-new',
      knownHostsFile: join(work, 'known_hosts'),
      port: sim.sshPort,
      privateKeyPath,
      username: 'root',
    })
    sessions.push(session)
    return session
  }

  before(async () => {
    sim = await startPveSim()
    work = await tempDir()
    operatorKey = await generateEd25519KeyPair(join(work, 'operator', 'id_ed25519'), 'operator@laptop')
    sshDir = join(sim.homeDir, '.ssh')
    authorizedKeys = join(sshDir, 'authorized_keys')
  })

  beforeEach(async () => {
    // The host as a fresh install has it: only the sim's own client key is authorized.
    await rm(sshDir, {force: true, recursive: true})
    await mkdir(sshDir, {mode: 0o700})
    await writeFile(authorizedKeys, sim.clientKey.publicKey + '\n', {mode: 0o600})
    await sim.updateState((state) => {
      state.faults = {}
    })
  })

  after(async () => {
    for (const session of sessions) session.dispose()
    await sim.stop()
    await cleanupTempDirs()
  })

  it('the operator key is refused before, installed once, then present; modes 700/600; the key works', async () => {
    await assert.rejects(
      keySession(operatorKey.privatePath),
      (error: unknown) => error instanceof HyopsError && error.reason === 'auth',
    )

    const session = await passwordSession()
    assert.equal(await installAuthorizedKey(session, operatorKey.publicKey), 'installed')
    assert.equal(await installAuthorizedKey(session, operatorKey.publicKey), 'present')

    const text = await readFile(authorizedKeys, 'utf8')
    assert.equal(text, `${sim.clientKey.publicKey}\n${operatorKey.publicKey}\n`)
    assert.equal(count(text, operatorKey.publicKey.split(' ')[1]), 1)
    assert.equal(await mode(sshDir), 0o700)
    assert.equal(await mode(authorizedKeys), 0o600)

    const withKey = await keySession(operatorKey.privatePath)
    assert.equal((await withKey.exec('echo ok')).stdout, 'ok\n')
  })

  it('the key travels on stdin, never in a command line', async () => {
    await installAuthorizedKey(await passwordSession(), operatorKey.publicKey)
    const blob = operatorKey.publicKey.split(' ')[1]
    const commands = await sim.execCommands()
    assert.ok(commands.length > 0)
    for (const argv of await sim.execLog())
      for (const arg of argv) assert.ok(!arg.includes(blob), `the key is in an argv: ${arg.slice(0, 80)}`)
  })

  it('creates ~/.ssh (0700) and authorized_keys (0600) when they are missing', async () => {
    const session = await passwordSession()
    await rm(sshDir, {force: true, recursive: true})
    assert.equal(await installAuthorizedKey(session, operatorKey.publicKey), 'installed')
    assert.equal(await readFile(authorizedKeys, 'utf8'), operatorKey.publicKey + '\n')
    assert.equal(await mode(sshDir), 0o700)
    assert.equal(await mode(authorizedKeys), 0o600)
  })

  it('fixes loose modes of an existing ~/.ssh and authorized_keys', async () => {
    await chmod(sshDir, 0o755)
    await chmod(authorizedKeys, 0o664)
    assert.equal(await installAuthorizedKey(await passwordSession(), operatorKey.publicKey), 'installed')
    assert.equal(await mode(sshDir), 0o700)
    assert.equal(await mode(authorizedKeys), 0o600)
  })

  it('the same key with another comment, options or spacing is present; a commented-out one is not', async () => {
    const [type, blob] = operatorKey.publicKey.split(' ')
    const session = await passwordSession()
    for (const existing of [
      `${type} ${blob}`,
      `${type} ${blob} someone-else@old`,
      `from="10.0.0.0/8",no-pty ${type}  ${blob} x  `,
    ]) {
      await writeFile(authorizedKeys, `${sim.clientKey.publicKey}\n${existing}\n`)
      assert.equal(await installAuthorizedKey(session, operatorKey.publicKey), 'present', existing)
      assert.equal(await readFile(authorizedKeys, 'utf8'), `${sim.clientKey.publicKey}\n${existing}\n`)
    }

    await writeFile(authorizedKeys, `# ${operatorKey.publicKey}\n`)
    assert.equal(await installAuthorizedKey(session, operatorKey.publicKey), 'installed')
    assert.equal(await readFile(authorizedKeys, 'utf8'), `# ${operatorKey.publicKey}\n${operatorKey.publicKey}\n`)
  })

  it('a last line without a newline stays whole', async () => {
    await writeFile(authorizedKeys, sim.clientKey.publicKey)
    assert.equal(await installAuthorizedKey(await passwordSession(), operatorKey.publicKey), 'installed')
    assert.equal(await readFile(authorizedKeys, 'utf8'), `${sim.clientKey.publicKey}\n${operatorKey.publicKey}\n`)
  })

  it('a symlinked authorized_keys (as on Proxmox) is appended through, the link kept', async () => {
    const cluster = join(sim.dir, 'etc-pve-priv-authorized_keys')
    await writeFile(cluster, sim.clientKey.publicKey + '\n', {mode: 0o600})
    await rm(authorizedKeys)
    await symlink(cluster, authorizedKeys)
    assert.equal(await installAuthorizedKey(await passwordSession(), operatorKey.publicKey), 'installed')
    assert.ok((await lstat(authorizedKeys)).isSymbolicLink())
    assert.equal(await readlink(authorizedKeys), cluster)
    assert.equal(await readFile(cluster, 'utf8'), `${sim.clientKey.publicKey}\n${operatorKey.publicKey}\n`)
  })

  it('works over a plain node-ssh connection too', async () => {
    const ssh = new NodeSSH()
    await ssh.connect({
      host: sim.host,
      password: (await sim.readState()).root_password,
      port: sim.sshPort,
      username: 'root',
    })
    ssh.connection?.on('error', () => {})
    try {
      assert.equal(await installAuthorizedKey(ssh, operatorKey.publicKey), 'installed')
      assert.equal(await installAuthorizedKey(ssh, operatorKey.publicKey), 'present')
      assert.equal(count(await readFile(authorizedKeys, 'utf8'), operatorKey.publicKey), 1)
    } finally {
      ssh.dispose()
    }
  })

  it('a failing remote command is exit 20 with the reason, nothing written', async () => {
    const session = await passwordSession()
    await sim.updateState((state) => {
      state.faults.script_exit = 1
    })
    await assert.rejects(
      installAuthorizedKey(session, operatorKey.publicKey, {target: 'root@pve1'}),
      (error: unknown) => {
        assert.ok(error instanceof HyopsError)
        assert.equal(error.exitCode, ExitCode.Remote)
        assert.equal(error.reason, 'key-install')
        assert.match(error.message, /^installing the public key on root@pve1 failed: .*script_exit/)
        return true
      },
    )
    assert.equal(await readFile(authorizedKeys, 'utf8'), sim.clientKey.publicKey + '\n')
  })

  it('a line that is not a public key is exit 11 and never reaches the host', async () => {
    const before = (await sim.execCommands()).length
    for (const bad of ['', 'ssh-ed25519', `${operatorKey.publicKey}\nssh-ed25519 AAAA injected`]) {
      await assert.rejects(
        installAuthorizedKey({exec: () => assert.fail('the host was contacted')}, bad),
        (error: unknown) => error instanceof HyopsError && error.exitCode === ExitCode.ConfigInvalid,
      )
    }

    assert.equal((await sim.execCommands()).length, before)
  })
})
