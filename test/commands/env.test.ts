// hyops env end to end: a root made ready by init proxmox on the simulated host,
// its hostile secret evaluated by real POSIX shells (bash and dash) in every proxmox format;
// the terminal refusal at a real pseudo-terminal (tmux); readiness, unknown target/format.
import assert from 'node:assert/strict'
import {mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {parseEnvFile} from '../../src/lib/vault/env-file.js'
import {openVault} from '../../src/lib/vault/open-vault.js'
import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'
import {CLI, cleanupTempDirs, runCli, tempDir} from '../helpers/cli.js'
import {evalInShell, HOSTILE_SECRET, hyopsArgs, readyRoot, readyRootWithSecret} from '../helpers/env-root.js'
import {prepareRoot, scanForSecret, SIM_CA_FILE, type ProxmoxRoot} from '../helpers/proxmox-env.js'
import {TerminalSession} from '../helpers/terminal.js'
import {requireTool} from '../helpers/tools.js'

const NO_STACK = /\n\s+at \S/
let sim: PveSim
let at: ProxmoxRoot
let privateKey: string

/** Every variable of each format, exact, for a root with TLS_SKIP (the default). */
function expected(format: string): Record<string, string> {
  const url = `https://127.0.0.1:${sim.apiPort}/api2/json`
  const tfvars: Record<string, string> = {
    http_bind_address: '127.0.0.1',
    http_port: '8802',
    network_bridge: 'vmbr0',
    proxmox_node: 'pve1',
    proxmox_skip_tls: 'true',
    proxmox_ssh_key: sim.clientKey.privateKeyPath,
    proxmox_ssh_username: 'root',
    proxmox_token_id: at.tokenId,
    proxmox_token_secret: HOSTILE_SECRET,
    proxmox_url: url,
    ssh_public_key: sim.clientKey.publicKey,
    storage_iso: 'local',
    storage_pool: 'local-lvm',
    storage_snippets: 'local',
  }
  const prefixed = (prefix: string) =>
    Object.fromEntries(Object.entries(tfvars).map(([name, value]) => [`${prefix}${name}`, value]))
  switch (format) {
    case 'tfvars': {
      return prefixed('TF_VAR_')
    }

    case 'bpg': {
      return {
        PROXMOX_VE_API_TOKEN: `${at.tokenId}=${HOSTILE_SECRET}`,
        PROXMOX_VE_ENDPOINT: `https://127.0.0.1:${sim.apiPort}/`,
        PROXMOX_VE_INSECURE: 'true',
        PROXMOX_VE_SSH_PRIVATE_KEY: privateKey,
        PROXMOX_VE_SSH_USERNAME: 'root',
      }
    }

    case 'telmate': {
      return {
        PM_API_TOKEN_ID: at.tokenId,
        PM_API_TOKEN_SECRET: HOSTILE_SECRET,
        PM_API_URL: url,
        PM_TLS_INSECURE: 'true',
      }
    }

    case 'packer': {
      return {PROXMOX_TOKEN: HOSTILE_SECRET, PROXMOX_URL: url, PROXMOX_USERNAME: at.tokenId, ...prefixed('PKR_VAR_')}
    }

    case 'ansible': {
      return {
        PROXMOX_HOST: '127.0.0.1',
        PROXMOX_PORT: String(sim.apiPort),
        PROXMOX_TOKEN_ID: at.tokenName,
        PROXMOX_TOKEN_SECRET: HOSTILE_SECRET,
        PROXMOX_USER: at.userFq,
        PROXMOX_VALIDATE_CERTS: 'false',
      }
    }

    default: {
      throw new Error(format)
    }
  }
}

describe('hyops env against a root made by init proxmox on the simulated host', () => {
  before(async () => {
    requireTool('bash', 'bash')
    requireTool('dash', 'dash')
    sim = await startPveSim()
    at = await readyRootWithSecret(sim, HOSTILE_SECRET)
    privateKey = await readFile(sim.clientKey.privateKeyPath, 'utf8')
  })
  after(async () => {
    await sim?.stop()
    await cleanupTempDirs()
  })

  for (const format of ['tfvars', 'bpg', 'telmate', 'packer', 'ansible']) {
    for (const shell of ['bash', 'dash']) {
      it(`eval "$(hyops env proxmox --format ${format})" in ${shell} sets every variable exactly`, async () => {
        const {added, stderr} = await evalInShell(shell, at, ['proxmox', '--format', format])
        assert.deepEqual(added, expected(format), stderr)
        assert.doesNotMatch(stderr, NO_STACK)
      })
    }
  }

  it('without --format: the tfvars format (TF_VAR_ for the 14 names)', async () => {
    const {added} = await evalInShell('dash', at, ['proxmox'])
    assert.deepEqual(added, expected('tfvars'))
    assert.equal(Object.keys(added).length, 14)
  })

  it('--output dotenv and --output json read back exactly; --names prints the names only', async () => {
    const dotenv = await runCli(hyopsArgs(at, 'env', ['proxmox', '--format', 'telmate', '--output', 'dotenv']))
    assert.equal(dotenv.code, 0, dotenv.stderr)
    const parsed = parseEnvFile(dotenv.stdout)
    assert.deepEqual(parsed.invalidLines, [])
    assert.deepEqual(parsed.values, expected('telmate'))
    assert.match(dotenv.stdout, /^PM_API_URL='https:/m, 'a value without a quote is single-quoted')

    const json = await runCli(hyopsArgs(at, 'env', ['proxmox', '--format', 'bpg', '--output', 'json']))
    assert.equal(json.code, 0, json.stderr)
    assert.deepEqual(JSON.parse(json.stdout), expected('bpg'))

    const names = await runCli(hyopsArgs(at, 'env', ['proxmox', '--format', 'packer', '--names']))
    assert.equal(names.code, 0, names.stderr)
    assert.deepEqual(names.stdout.trim().split('\n').sort(), Object.keys(expected('packer')).sort())
    assert.ok(!names.stdout.includes(HOSTILE_SECRET))

    const result = await runCli(hyopsArgs(at, 'env', ['proxmox', '--format', 'ansible', '--json']))
    assert.equal(result.code, 0, result.stderr)
    const object = JSON.parse(result.stdout) as {target: string; format: string; variables: Record<string, string>}
    assert.equal(object.target, 'proxmox')
    assert.equal(object.format, 'ansible')
    assert.deepEqual(object.variables, expected('ansible'))
  })

  it('leaves no secret in a file: nothing under the root or HOME but the vault and the credentials', async () => {
    await runCli(hyopsArgs(at, 'env', ['proxmox', '--format', 'bpg']), {env: {HOME: at.home}})
    const found = [
      ...(await scanForSecret(at.root, HOSTILE_SECRET, {except: [at.vaultFile, at.credentialsFile]})),
      ...(await scanForSecret(at.home, HOSTILE_SECRET)),
    ]
    assert.deepEqual(found, [])
  })

  it('with stdout a terminal (tmux): exit 2 without --reveal and no secret on screen; --names works', async () => {
    requireTool('tmux', 'tmux')
    const dir = await tempDir('hyops-env-tty-')
    const env = {HOME: at.home, LANG: 'C.UTF-8', PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm'}
    const refuse = await TerminalSession.start(
      [process.execPath, CLI, ...hyopsArgs(at, 'env', ['proxmox', '--format', 'telmate'])],
      env,
      dir,
    )
    try {
      const {code, screen} = await refuse.answerUntilExit([])
      assert.equal(code, 2, screen)
      assert.match(screen, /refusing to print secrets to a terminal/)
      assert.match(screen, /--reveal/)
      assert.ok(!screen.includes(HOSTILE_SECRET))
      assert.doesNotMatch(screen, /PM_API_TOKEN_SECRET/)
    } finally {
      await refuse.kill()
    }

    const namesDir = await tempDir('hyops-env-tty-')
    const names = await TerminalSession.start(
      [process.execPath, CLI, ...hyopsArgs(at, 'env', ['proxmox', '--format', 'telmate', '--names'])],
      env,
      namesDir,
    )
    try {
      const {code, screen} = await names.answerUntilExit([])
      assert.equal(code, 0, screen)
      assert.match(screen, /^PM_API_TOKEN_SECRET$/m)
      assert.ok(!screen.includes(HOSTILE_SECRET))
    } finally {
      await names.kill()
    }

    const revealDir = await tempDir('hyops-env-tty-')
    const reveal = await TerminalSession.start(
      [process.execPath, CLI, ...hyopsArgs(at, 'env', ['proxmox', '--format', 'telmate', '--reveal'])],
      env,
      revealDir,
    )
    try {
      const {code, screen} = await reveal.answerUntilExit([])
      assert.equal(code, 0, screen)
      assert.match(screen, /^export PM_API_TOKEN_ID='/m)
    } finally {
      await reveal.kill()
    }
  })

  it('a root without a marker, or with one not ready: exit 21 naming the reason and the init command', async () => {
    const fresh = await prepareRoot(sim)
    const none = await runCli(hyopsArgs(fresh, 'env', ['proxmox', '--format', 'bpg']))
    assert.equal(none.code, 21, none.stderr)
    assert.match(none.stderr, /proxmox is not initialised in .*proxmox\.ready\.json/)
    assert.ok(none.stderr.includes(`run hyops init proxmox --root '${fresh.root}'`), none.stderr)
    assert.equal(none.stdout, '')
    assert.doesNotMatch(none.stderr, NO_STACK)

    await mkdir(join(fresh.root, 'meta'), {recursive: true})
    await writeFile(
      fresh.markerFile,
      JSON.stringify({paths: {}, reason: 'the vault could not be written', status: 'not_ready', target: 'proxmox'}),
    )
    const notReady = await runCli(hyopsArgs(fresh, 'exec', ['proxmox', '--', 'true']))
    assert.equal(notReady.code, 21, notReady.stderr)
    assert.match(notReady.stderr, /not ready .*not_ready \(the vault could not be written\)/)
    assert.match(notReady.stderr, /run hyops init proxmox --root/)
  })

  it('the secret: the vault wins over the credentials file, used when no vault password is at hand', async () => {
    const {at: other, secret} = await readyRoot(sim)
    const vault = await openVault({interactive: false, passwordFile: other.passwordFile, vaultFile: other.vaultFile})
    await vault.update({PROXMOX_TOKEN_SECRET: 'from-the-vault'})
    const withVault = await runCli(hyopsArgs(other, 'env', ['proxmox', '--format', 'telmate', '--output', 'json']))
    assert.equal(withVault.code, 0, withVault.stderr)
    assert.equal(JSON.parse(withVault.stdout).PM_API_TOKEN_SECRET, 'from-the-vault')
    const noPassword = await runCli(
      ['env', 'proxmox', '--format', 'telmate', '--output', 'json', '--root', other.root, '--non-interactive'],
      {env: {HOME: other.home}},
    )
    assert.equal(noPassword.code, 0, noPassword.stderr)
    assert.equal(JSON.parse(noPassword.stdout).PM_API_TOKEN_SECRET, secret, 'the credentials file')
    const wrong = await runCli(['env', 'proxmox', '--root', other.root, '--vault-password-file', at.passwordFile])
    assert.equal(wrong.code, 21, 'a wrong vault password is an error, not a silent fallback')
    assert.doesNotMatch(wrong.stderr, NO_STACK)
  })

  it('an unknown target or format is exit 2 naming the known ones', async () => {
    const target = await runCli(hyopsArgs(at, 'env', ['nosuch']))
    assert.equal(target.code, 2, target.stderr)
    assert.match(target.stderr, /no target "nosuch".*proxmox/)
    const format = await runCli(hyopsArgs(at, 'env', ['proxmox', '--format', 'nosuch']))
    assert.equal(format.code, 2, format.stderr)
    assert.match(format.stderr, /tfvars\|bpg\|telmate\|packer\|ansible/)
    assert.doesNotMatch(format.stderr, NO_STACK)
  })

  it('with verified TLS: SSL_CERT_FILE names a 0644 bundle under <root>/state with the cluster CA', async () => {
    const verified = await readyRootWithSecret(sim, HOSTILE_SECRET, {TLS_SKIP: 'false'})
    const {added} = await evalInShell('dash', verified, ['proxmox', '--format', 'ansible'])
    const bundle = join(verified.root, 'state', 'proxmox-ca-bundle.pem')
    assert.equal(added.SSL_CERT_FILE, bundle)
    assert.equal(added.REQUESTS_CA_BUNDLE, bundle)
    assert.equal(added.PROXMOX_VALIDATE_CERTS, 'true')
    assert.equal((await stat(bundle)).mode & 0o777, 0o644)
    const ca = (await readFile(sim.caFile, 'utf8')).trim()
    assert.ok((await readFile(bundle, 'utf8')).includes(ca), 'the bundle holds the cluster CA')
    for (const [format, name] of [
      ['bpg', 'PROXMOX_VE_INSECURE'],
      ['telmate', 'PM_TLS_INSECURE'],
      ['tfvars', 'TF_VAR_proxmox_skip_tls'],
    ]) {
      const vars = (await evalInShell('bash', verified, ['proxmox', '--format', format])).added
      assert.equal(vars[name], 'false', `${format}: ${name}`)
      assert.equal(vars.SSL_CERT_FILE, bundle, `${format}: SSL_CERT_FILE`)
    }

    const skipping = (await evalInShell('bash', at, ['proxmox', '--format', 'bpg'])).added
    assert.equal(skipping.SSL_CERT_FILE, undefined, 'no bundle with TLS_SKIP')
  })

  it('with TLS_CA_FILE in the config (no cluster CA saved): the bundle holds that file', async () => {
    const caCopy = join(await tempDir('hyops-ca-'), 'cluster-ca.pem')
    await writeFile(caCopy, await readFile(SIM_CA_FILE))
    const withCaFile = await readyRootWithSecret(sim, HOSTILE_SECRET, {TLS_CA_FILE: caCopy, TLS_SKIP: 'false'})
    assert.equal(await stat(join(withCaFile.root, 'state', 'proxmox-ca.pem')).catch(() => undefined), undefined)
    const {added} = await evalInShell('dash', withCaFile, ['proxmox', '--format', 'telmate'])
    assert.equal(added.PM_TLS_INSECURE, 'false')
    const bundle = await readFile(added.SSL_CERT_FILE, 'utf8')
    assert.ok(bundle.includes((await readFile(caCopy, 'utf8')).trim()))

    await rm(caCopy)
    const gone = await runCli(hyopsArgs(withCaFile, 'env', ['proxmox', '--names']))
    assert.equal(gone.code, 11, gone.stderr)
    assert.match(gone.stderr, /TLS_CA_FILE .*cluster-ca\.pem cannot be read \(no such file\)/)
  })
})
