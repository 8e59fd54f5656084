import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdir, open, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {generateEd25519KeyPair} from '../../src/lib/ssh/keygen.ts'
import {decryptVault} from '../../src/lib/vault/ansible-vault.ts'
import {parseEnvFile} from '../../src/lib/vault/env-file.ts'
import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.ts'
import {CLI, cleanupTempDirs, PROJECT_ROOT, tempDir} from '../helpers/cli.ts'
import {TerminalSession} from '../helpers/terminal.ts'

// `hyops init proxmox` in a real pseudo-terminal: tmux runs the built CLI in a detached pane,
// the test reads the screen and types as an operator would. Needs `npm run build` first.

/** Runs the CLI with stdin from /dev/null (as `< /dev/null`); resolves with its code and how long it took. */
async function runDetached(
  args: string[],
  env: Record<string, string>,
): Promise<{code: number | null; stdout: string; stderr: string; ms: number}> {
  const devNull = await open('/dev/null', 'r')
  const started = Date.now()
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: PROJECT_ROOT,
        env,
        stdio: [devNull.fd, 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({code, ms: Date.now() - started, stderr, stdout})
      })
    })
  } finally {
    await devNull.close()
  }
}

const mode = async (path: string) => (await stat(path)).mode & 0o777
const occurrences = (text: string, part: string) => text.split(part).length - 1

describe('hyops init proxmox at a real terminal (tmux)', () => {
  let sim: PveSim
  let rootPassword: string
  const sessions: TerminalSession[] = []

  before(async () => {
    sim = await startPveSim()
    rootPassword = (await sim.readState()).root_password
  })

  after(async () => {
    await Promise.all(sessions.map((s) => s.kill()))
    await sim.stop()
    await cleanupTempDirs()
  })

  /** A fresh operator: HOME, runtime root, a config for the sim with its own token name. */
  async function operator(options: {
    tokenName: string
    sshKey?: string
  }): Promise<{home: string; root: string; env: Record<string, string>}> {
    const home = await tempDir('hyops-e2e-home-')
    const root = join(home, 'root')
    await mkdir(join(root, 'config'), {mode: 0o700, recursive: true})
    const lines = [
      '[proxmox]',
      `PROXMOX_IP = ${sim.host}`,
      'USER_FQ = automation@pam',
      `TOKEN_NAME = ${options.tokenName}`,
      `PROXMOX_SSH_PORT = ${sim.sshPort}`,
      `PROXMOX_API_PORT = ${sim.apiPort}`,
      'TLS_SKIP = false',
      `TLS_CA_FILE = ${sim.caFile}`,
      'HTTP_BIND_ADDRESS = 127.0.0.1',
    ]
    if (options.sshKey) lines.push(`PROXMOX_SSH_KEY = ${options.sshKey}`)
    await writeFile(join(root, 'config', 'proxmox.conf'), lines.join('\n') + '\n', {mode: 0o600})
    return {env: {HOME: home, LANG: 'C.UTF-8', PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'screen'}, home, root}
  }

  async function terminal(args: string[], env: Record<string, string>, dir: string): Promise<TerminalSession> {
    const session = await TerminalSession.start([process.execPath, CLI, ...args], env, dir)
    sessions.push(session)
    return session
  }

  async function authorizedKeys(): Promise<string> {
    return readFile(join(sim.homeDir, '.ssh', 'authorized_keys'), 'utf8')
  }

  it('(a) fresh root, no vault password source: the vault password is typed twice and init completes', async () => {
    const {env, home, root} = await operator({sshKey: sim.clientKey.privateKeyPath, tokenName: 'e2e-a'})
    const vaultPassword = 'typed-vault-pw-A1'
    const session = await terminal(['init', 'proxmox', '--root', root], env, home)
    const run = await session.answerUntilExit([
      {keys: ['y', 'Enter'], when: /Trust it and continue\?/},
      {keys: [vaultPassword, 'Enter'], when: 'New vault password'},
      {keys: [vaultPassword, 'Enter'], when: 'Repeat it'},
    ])
    assert.equal(run.code, 0, run.screen)
    assert.equal(run.answered, 3, run.screen)
    assert.match(run.screen, /pve1/)
    assert.match(run.screen, new RegExp(`https://127\\.0\\.0\\.1:${sim.apiPort}/api2/json`))
    assert.ok(!run.screen.includes(vaultPassword), 'the vault password is on the screen')

    const {tokens} = await sim.readState()
    const secret = tokens['automation@pam!e2e-a']?.secret
    assert.ok(secret, 'the token was not created on the host')
    assert.ok(!run.screen.includes(secret), 'the token secret is on the screen')

    const vaultFile = join(root, 'vault', 'bootstrap.vault.env')
    assert.equal(await mode(vaultFile), 0o600)
    const vault = parseEnvFile(
      (await decryptVault(await readFile(vaultFile, 'utf8'), vaultPassword)).plaintext.toString('utf8'),
    )
    assert.equal(vault.values.PROXMOX_TOKEN_SECRET, secret)
    const credentials = join(root, 'credentials', 'proxmox.credentials.tfvars')
    assert.equal(await mode(credentials), 0o600)
    assert.match(await readFile(credentials, 'utf8'), new RegExp(`proxmox_token_secret\\s*=\\s*"${secret}"`))
    const marker = JSON.parse(await readFile(join(root, 'meta', 'proxmox.ready.json'), 'utf8')) as {status: string}
    assert.equal(marker.status, 'ready')
  })

  it('(b) key authentication refused: the key is installed with the root password, then init completes', async () => {
    const {env, home, root} = await operator({tokenName: 'e2e-b'})
    // The operator's own key at the default PROXMOX_SSH_KEY (~/.ssh/id_ed25519), unknown to the host.
    const key = await generateEd25519KeyPair(join(home, '.ssh', 'id_ed25519'), 'operator@e2e-b')
    const blob = key.publicKey.split(' ')[1]
    assert.equal(occurrences(await authorizedKeys(), blob), 0)
    const passwordFile = join(home, 'vault-pass')
    await writeFile(passwordFile, 'file-vault-pw\n', {mode: 0o600})

    const session = await terminal(
      ['init', 'proxmox', '--root', root, '--vault-password-file', passwordFile],
      env,
      home,
    )
    const run = await session.answerUntilExit([
      {keys: ['y', 'Enter'], when: /Trust it and continue\?/},
      {keys: ['Enter'], when: 'Install your public key'},
      {keys: [rootPassword, 'Enter'], when: 'Password of root@'},
    ])
    assert.equal(run.code, 0, run.screen)
    assert.equal(run.answered, 3, run.screen)
    assert.ok(!run.screen.includes(rootPassword), 'the root password is on the screen')
    assert.equal(occurrences(await authorizedKeys(), blob), 1)
    const marker = JSON.parse(await readFile(join(root, 'meta', 'proxmox.ready.json'), 'utf8')) as {status: string}
    assert.equal(marker.status, 'ready')

    // The installed key now opens the host without any question, and is not installed twice.
    const again = await runDetached(
      ['init', 'proxmox', '--root', root, '--vault-password-file', passwordFile, '--non-interactive'],
      env,
    )
    assert.equal(again.code, 0, again.stderr)
    assert.equal(occurrences(await authorizedKeys(), blob), 1)
  })

  it('no key pair at all: hyops makes one, installs it with the root password, and init completes', async () => {
    const {env, home, root} = await operator({tokenName: 'e2e-c'})
    const passwordFile = join(home, 'vault-pass')
    await writeFile(passwordFile, 'file-vault-pw\n', {mode: 0o600})
    const session = await terminal(
      ['init', 'proxmox', '--root', root, '--vault-password-file', passwordFile],
      env,
      home,
    )
    const run = await session.answerUntilExit([
      {keys: ['Enter'], when: /Generate an ed25519 key pair there\?/},
      {keys: ['y', 'Enter'], when: /Trust it and continue\?/},
      {keys: ['Enter'], when: 'Install your public key'},
      {keys: [rootPassword, 'Enter'], when: 'Password of root@'},
    ])
    assert.equal(run.code, 0, run.screen)
    assert.equal(run.answered, 4, run.screen)
    assert.ok(!run.screen.includes(rootPassword), 'the root password is on the screen')
    const privatePath = join(home, '.ssh', 'id_ed25519')
    assert.equal(await mode(privatePath), 0o600)
    assert.equal(await mode(`${privatePath}.pub`), 0o644)
    const blob = (await readFile(`${privatePath}.pub`, 'utf8')).split(' ')[1]
    assert.equal(occurrences(await authorizedKeys(), blob), 1)
  })

  it('Ctrl-C at the root password prompt: exit 130, nothing written, nothing installed', async () => {
    const {env, home, root} = await operator({tokenName: 'e2e-d'})
    const key = await generateEd25519KeyPair(join(home, '.ssh', 'id_ed25519'), 'operator@e2e-d')
    const before = await authorizedKeys()
    const passwordFile = join(home, 'vault-pass')
    await writeFile(passwordFile, 'file-vault-pw\n', {mode: 0o600})
    const session = await terminal(
      ['init', 'proxmox', '--root', root, '--vault-password-file', passwordFile],
      env,
      home,
    )
    const run = await session.answerUntilExit([
      {keys: ['y', 'Enter'], when: /Trust it and continue\?/},
      {keys: ['Enter'], when: 'Install your public key'},
      {keys: ['half-typed', 'C-c'], when: 'Password of root@'},
    ])
    assert.equal(run.code, 130, run.screen)
    assert.equal(run.answered, 3, run.screen)
    assert.match(run.screen, /cancelled/)
    assert.equal(await authorizedKeys(), before)
    assert.ok(!before.includes(key.publicKey.split(' ')[1]))
    await assert.rejects(stat(join(root, 'credentials', 'proxmox.credentials.tfvars')), {code: 'ENOENT'})
    await assert.rejects(stat(join(root, 'meta', 'proxmox.ready.json')), {code: 'ENOENT'})
  })

  describe('with stdin not a terminal (< /dev/null), the same commands never wait', () => {
    it('(a) without a vault password source: exit 21 within seconds, naming the flags', async () => {
      const {env, root} = await operator({sshKey: sim.clientKey.privateKeyPath, tokenName: 'e2e-na'})
      const run = await runDetached(['init', 'proxmox', '--root', root], env)
      assert.equal(run.code, 21, run.stderr)
      assert.match(run.stderr, /--vault-password-file/)
      assert.ok(run.ms < 10_000, `took ${run.ms} ms`)
    })

    it('(b) key authentication refused: exit 20 within seconds, nothing installed', async () => {
      const {env, home, root} = await operator({tokenName: 'e2e-nb'})
      const key = await generateEd25519KeyPair(join(home, '.ssh', 'id_ed25519'), 'operator@e2e-nb')
      const passwordFile = join(home, 'vault-pass')
      await writeFile(passwordFile, 'file-vault-pw\n', {mode: 0o600})
      const run = await runDetached(['init', 'proxmox', '--root', root, '--vault-password-file', passwordFile], env)
      assert.equal(run.code, 20, run.stderr)
      assert.match(run.stderr, /authorized_keys/)
      assert.ok(run.ms < 10_000, `took ${run.ms} ms`)
      assert.equal(occurrences(await authorizedKeys(), key.publicKey.split(' ')[1]), 0)
    })

    it('--non-interactive at a terminal asks nothing either', async () => {
      const {env, home, root} = await operator({sshKey: sim.clientKey.privateKeyPath, tokenName: 'e2e-nc'})
      const session = await terminal(['init', 'proxmox', '--root', root, '--non-interactive'], env, home)
      const run = await session.answerUntilExit([], 15_000)
      assert.equal(run.code, 21, run.screen)
      assert.doesNotMatch(
        run.screen,
        /^\? |\(Y\/n\)|\(y\/N\)|Trust it|Password of|vault password/m,
        'a prompt was shown',
      )
    })
  })
})
