// SSH as operators use it (docs/proxmox.md, "SSH as operators use it"),
// against real OpenSSH (Debian's sshd, ssh-agent, ssh-add, ssh-keygen, sudo,
// tmux): a key held only by ssh-agent, a passphrase key typed at a terminal, ProxyJump through a second sshd,
// an ~/.ssh/config alias, the operator's ~/.ssh/known_hosts, and a non-root user with a sudoers rule. Each run
// completes init proxmox against the simulated host's commands, with the outputs of a plain run.
import assert from 'node:assert/strict'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {access, chmod, copyFile, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startOpenSshd, type OpenSshd} from '../../fixtures/openssh/sshd.js'
import {startPveSim, type PveSim} from '../../fixtures/pve-sim/index.js'
import {CLI, cleanupTempDirs, type CliRun, tempDir} from '../../helpers/cli.js'
import {assertFirstRun, initProxmox, prepareRoot, type ProxmoxRoot, secretLeaks} from '../../helpers/proxmox-env.js'
import {TerminalSession} from '../../helpers/terminal.js'
import {requireTool} from '../../helpers/tools.js'

const run = (cmd: string, args: string[], env: Record<string, string> = {}) => {
  const result = spawnSync(cmd, args, {encoding: 'utf8', env: {...process.env, ...env}})
  assert.equal(result.status, 0, `${cmd} ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

/** A copy of the sim's client key pair (same public key, so the host accepts it) at a new path. */
async function copyClientKey(sim: PveSim, dir: string, name: string): Promise<string> {
  const path = join(dir, name)
  await copyFile(sim.clientKey.privateKeyPath, path)
  await chmod(path, 0o600)
  await copyFile(sim.clientKey.publicKeyPath, `${path}.pub`)
  return path
}

async function writeSshConfig(at: ProxmoxRoot, text: string): Promise<void> {
  await mkdir(join(at.home, '.ssh'), {mode: 0o700, recursive: true})
  await writeFile(join(at.home, '.ssh', 'config'), text, {mode: 0o600})
}

describe('hyops init proxmox with OpenSSH as operators use it', () => {
  let sim: PveSim
  let sshd: OpenSshd
  let jump: OpenSshd
  const user = `hyop${randomBytes(3).toString('hex')}`
  const sudoers = `/etc/sudoers.d/hyops-test-${user}`
  const cleanups: Array<() => Promise<unknown> | unknown> = []

  before(async () => {
    requireTool('/usr/sbin/sshd', 'openssh-server')
    requireTool('ssh-agent', 'openssh-client')
    requireTool('sudo', 'sudo')
    requireTool('tmux', 'tmux')
    sim = await startPveSim()
    sshd = await startOpenSshd({
      extraConfig: [`Match User ${user}`, `  AuthorizedKeysFile /home/${user}/.ssh/authorized_keys`],
      sim,
    })
    jump = await startOpenSshd({logLevel: 'DEBUG1', sim})
  })
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
    await jump?.stop()
    await sshd?.stop()
    await sim?.stop()
    await cleanupTempDirs()
  })

  const withLog = (error: Error) => {
    throw new Error(`${error.message}\nsshd log:\n${sshd.log()}`)
  }

  it('a key held only by ssh-agent (no private key file on disk) carries the run', async () => {
    const dir = await tempDir('hyops-agent-')
    const socket = join(dir, 'agent.sock')
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], {stdio: 'ignore'})
    cleanups.push(() => agent.kill())
    for (let i = 0; i < 100 && !(await exists(socket)); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    const key = await copyClientKey(sim, dir, 'id_agent')
    run('ssh-add', [key], {SSH_AUTH_SOCK: socket})
    await rm(key)
    assert.equal(await exists(key), false)

    const at = await prepareRoot(sim, {
      extraConfig: {PROXMOX_SSH_KEY: key, PROXMOX_SSH_PORT: sshd.port},
    })
    const first = await initProxmox(at, [], {SSH_AUTH_SOCK: socket})
    const {secret} = await assertFirstRun(sim, at, first, {sshKey: key}).catch(withLog)
    assert.match(sshd.log(), /Accepted publickey for root/)
    assert.deepEqual(await secretLeaks(at, [secret], [first], await sim.execLog()), [])

    // Without the agent the same config has no key at all: exit 20, before any connection.
    const without = await initProxmox(at, ['--force'])
    assert.equal(without.code, 20, without.stderr)
    assert.match(without.stderr, /no SSH private key at .*ssh-add/)
  })

  it('a passphrase key: typed at a terminal (hidden, never stored); without one, exit 20 naming ssh-add', async () => {
    const dir = await tempDir('hyops-pass-')
    const key = await copyClientKey(sim, dir, 'id_pass')
    const passphrase = `pass ${randomBytes(4).toString('hex')}`
    run('ssh-keygen', ['-q', '-p', '-P', '', '-N', passphrase, '-f', key])
    assert.ok((await readFile(key, 'utf8')).length > 0)
    const at = await prepareRoot(sim, {extraConfig: {PROXMOX_SSH_KEY: key, PROXMOX_SSH_PORT: sshd.port}})

    const logBefore = sshd.log().length
    const blind = await initProxmox(at)
    assert.equal(blind.code, 20, blind.stderr)
    assert.match(blind.stderr, /protected by a passphrase/)
    assert.match(blind.stderr, new RegExp(`ssh-add ${key}`))
    assert.doesNotMatch(blind.stderr, /\n\s+at \S/, 'no stack trace')
    assert.equal(sshd.log().slice(logBefore).includes('Connection from'), false, 'failed before connecting')

    const env = {HOME: at.home, LANG: 'C.UTF-8', PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'screen'}
    const argv = [process.execPath, CLI, 'init', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile]
    const session = await TerminalSession.start(argv, env, await tempDir('hyops-tmux-'))
    cleanups.push(() => session.kill())
    const typed = await session.answerUntilExit([
      {keys: ['y', 'Enter'], when: /Trust it and continue\?/},
      {keys: [passphrase, 'Enter'], when: 'Passphrase for the SSH key'},
    ])
    assert.equal(typed.code, 0, typed.screen)
    assert.equal(typed.answered, 2, typed.screen)
    const asRun: CliRun = {argv, code: typed.code, stderr: '', stdout: typed.screen}
    const {secret} = await assertFirstRun(sim, at, asRun, {sshKey: key}).catch(withLog)
    assert.deepEqual(await secretLeaks(at, [secret, passphrase], [blind, asRun], await sim.execLog()), [])
  })

  it('an ~/.ssh/config alias gives HostName, Port and IdentityFile (first match wins); hyops keys win', async () => {
    const at = await prepareRoot(sim, {
      extraConfig: {PROXMOX_IP: 'pve-lab', PROXMOX_SSH_KEY: undefined, PROXMOX_SSH_PORT: undefined},
    })
    await writeSshConfig(
      at,
      [
        'Host pve-lab lab-*',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        `  IdentityFile ${sim.clientKey.privateKeyPath}`,
        'Host *',
        '  Port 1',
        '',
      ].join('\n'),
    )
    const first = await initProxmox(at)
    const {secret} = await assertFirstRun(sim, at, first).catch(withLog)
    assert.match(sshd.log(), /Accepted publickey for root/)
    assert.deepEqual(await secretLeaks(at, [secret], [first], await sim.execLog()), [])

    const closed = await initProxmox(at, ['--bootstrap'], {HYOPS_PROXMOX_SSH_PORT: '1'})
    assert.equal(closed.code, 20, closed.stderr)
    assert.match(closed.stderr, /root@127\.0\.0\.1:1\b/, 'HYOPS_PROXMOX_SSH_PORT wins over Port in ~/.ssh/config')
  })

  it('ProxyJump through two hops of a second sshd: each host key checked and recorded', async () => {
    const at = await prepareRoot(sim, {extraConfig: {PROXMOX_IP: 'pve-behind', PROXMOX_SSH_PORT: undefined}})
    await writeSshConfig(
      at,
      [
        'Host pve-behind',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        `  ProxyJump bastion,root@127.0.0.1:${jump.port}`,
        'Host bastion',
        '  HostName 127.0.0.1',
        `  Port ${jump.port}`,
        '  User root',
        `  IdentityFile ${sim.clientKey.privateKeyPath}`,
        '',
      ].join('\n'),
    )
    const jumpLogBefore = jump.log().length
    const first = await initProxmox(at)
    const {secret} = await assertFirstRun(sim, at, first).catch((error: Error) => {
      throw new Error(`${error.message}\njump log:\n${jump.log().slice(jumpLogBefore)}`)
    })
    const via = `via root@127.0.0.1:${jump.port}, root@127.0.0.1:${jump.port}`
    assert.ok(`${first.stdout}${first.stderr}`.includes(via), first.stderr)
    const jumpLog = jump.log().slice(jumpLogBefore)
    assert.equal(jumpLog.match(/Accepted publickey for root/g)?.length, 2, jumpLog)
    assert.match(jumpLog, new RegExp(`direct.tcpip.*target 127\\.0\\.0\\.1 port ${jump.port}\\b`), 'hop 1 to hop 2')
    assert.match(jumpLog, new RegExp(`direct.tcpip.*target 127\\.0\\.0\\.1 port ${sshd.port}\\b`), 'hop 2 to host')
    const known = (await readFile(at.knownHostsFile, 'utf8')).split('\n').filter(Boolean)
    // Hop 1 recorded first; hop 2 is the same sshd, found known; then the Proxmox host.
    assert.deepEqual(
      known.map((line) => line.split(' ')[0]),
      [`[127.0.0.1]:${jump.port}`, `[127.0.0.1]:${sshd.port}`],
    )
    assert.deepEqual(await secretLeaks(at, [secret], [first], await sim.execLog()), [])
  })

  it('~/.ssh/known_hosts (hashed by ssh-keygen -H) is trusted under strict; another key there is changed', async () => {
    const at = await prepareRoot(sim, {extraConfig: {PROXMOX_SSH_PORT: sshd.port}})
    const file = join(at.home, '.ssh', 'known_hosts')
    await mkdir(join(at.home, '.ssh'), {mode: 0o700, recursive: true})
    await writeFile(file, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`)
    run('ssh-keygen', ['-q', '-H', '-f', file])
    assert.match(await readFile(file, 'utf8'), /^\|1\|/)
    const first = await initProxmox(at, ['--host-key-policy', 'strict'])
    await assertFirstRun(sim, at, first).catch(withLog)
    assert.equal(await exists(at.knownHostsFile), false, 'nothing to record: the key was already trusted')

    await writeFile(file, `[127.0.0.1]:${sshd.port} ${jump.hostPublicKey}\n`)
    const changed = await initProxmox(at, ['--bootstrap'])
    assert.equal(changed.code, 20, changed.stderr)
    assert.match(changed.stderr, /changed/)
    assert.ok(changed.stderr.includes(jump.hostKeyFingerprint), changed.stderr)
    assert.ok(changed.stderr.includes(sshd.hostKeyFingerprint), changed.stderr)
    assert.ok(changed.stderr.includes(file), changed.stderr)
  })

  it('a non-root user with PROXMOX_SSH_SUDO=true runs the bootstrap through sudo -n; no rule is exit 20', async () => {
    run('useradd', ['-m', '-s', '/bin/bash', user])
    cleanups.push(() => spawnSync('userdel', ['-r', '-f', user]))
    run('usermod', ['-p', '*', user])
    const ssh = `/home/${user}/.ssh`
    await mkdir(ssh, {mode: 0o700, recursive: true})
    await writeFile(join(ssh, 'authorized_keys'), sim.clientKey.publicKey + '\n', {mode: 0o600})
    run('chown', ['-R', `${user}:${user}`, ssh])
    const rule = [
      `Defaults:${user} env_keep += "HYOPS_SIM_STATE HYOPS_PVE_ETC"`,
      `Defaults:${user} secure_path="${sim.binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"`,
      `${user} ALL=(root) NOPASSWD: /usr/bin/bash -s`,
      '',
    ].join('\n')
    await writeFile(sudoers, rule, {mode: 0o440})
    cleanups.push(() => rm(sudoers, {force: true}))
    run('visudo', ['-c', '-f', sudoers])

    const at = await prepareRoot(sim, {
      extraConfig: {PROXMOX_SSH_PORT: sshd.port, PROXMOX_SSH_SUDO: 'true', PROXMOX_SSH_USERNAME: user},
    })
    const first = await initProxmox(at)
    const {secret} = await assertFirstRun(sim, at, first, {sshUsername: user}).catch(withLog)
    assert.match(sshd.log(), new RegExp(`Accepted publickey for ${user}`))

    await rm(sudoers)
    const refused = await initProxmox(at, ['--force'])
    assert.equal(refused.code, 20, refused.stderr)
    assert.match(refused.stderr, /sudo .*refused/)
    assert.ok(refused.stderr.includes(`${user} ALL=(root) NOPASSWD: /usr/bin/bash -s`), refused.stderr)
    assert.deepEqual(await secretLeaks(at, [secret], [first, refused], await sim.execLog()), [])
  })
})
