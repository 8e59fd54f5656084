// Shared set-up and checks for the `hyops init proxmox` tests:
// - prepareRoot(sim, options): a runtime root whose config points at a simulated host (or any
//   SimEndpoint), with its own HOME and vault password file; initProxmox(at, args, env) runs
//   the built CLI on it.
// - What a run left: vaultValues, readTfvars, readMarkerJson, fileBytes; apiStatus asks the
//   simulated API about a token.
// - Where a secret is: scanForSecret(dir, secret, {except}), secretLeaks (no secret anywhere it must not be).
// - assertFirstRun (what a first run leaves), with ansibleVaultView and terraformReads as outside readers.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {request} from 'node:https'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {ProxmoxMarker} from '../../src/lib/proxmox/outputs/marker.js'
import {parseTfvars} from '../../src/lib/proxmox/outputs/tfvars.js'
import {decryptVault} from '../../src/lib/vault/ansible-vault.js'
import {parseEnvFile} from '../../src/lib/vault/env-file.js'
import type {PveSim} from '../fixtures/pve-sim/index.js'
import {type CliOptions, runCli, tempDir, type CliRun} from './cli.js'
import {requireTool} from './tools.js'

/** The CA of the simulated API's certificate. */
export const SIM_CA_FILE = fileURLToPath(new URL('../fixtures/tls/ca.pem', import.meta.url))

/** The tfvars keys every credentials file holds, in order (docs/proxmox.md, "The credentials file"). */
export const REQUIRED_TFVARS_KEYS = [
  'proxmox_url',
  'proxmox_token_id',
  'proxmox_token_secret',
  'proxmox_node',
  'proxmox_skip_tls',
  'proxmox_ssh_username',
  'proxmox_ssh_key',
  'storage_pool',
  'storage_iso',
  'storage_snippets',
  'network_bridge',
  'http_bind_address',
  'http_port',
] as const

/** A run id of `hyops init proxmox`: `init-proxmox-<UTC yyyymmddThhmmssZ>-<8 hex>`. */
export const RUN_ID = /^init-proxmox-\d{8}T\d{6}Z-[0-9a-f]{8}$/
// A line hyops writes: `name = "string"`, `name = true|false` or `name = 123`, nothing else.
const TFVARS_LINE = /^[a-z_]+ += ("(?:[^"\\]|\\.)*"|true|false|\d+)$/

/** What a root needs to know of the host: a started `PveSim`, or the JSON line of its cli.ts. */
export interface SimEndpoint {
  host: string
  sshPort: number
  apiPort: number
  clientKey: {privateKeyPath: string}
}

/** A runtime root wired to a simulated host, with its own HOME and vault password file. */
export interface ProxmoxRoot {
  root: string
  /** HOME of every CLI run on this root (so runs share `~`). */
  home: string
  configFile: string
  vaultFile: string
  credentialsFile: string
  markerFile: string
  knownHostsFile: string
  password: string
  passwordFile: string
  userFq: string
  tokenName: string
  /** `userFq!tokenName`. */
  tokenId: string
}

export interface PrepareRootOptions {
  /** The runtime root (default: `<fresh temp dir>/root`). */
  root?: string
  /** HOME for the runs (default: `<fresh temp dir>/home`). */
  home?: string
  /** Default `automation@pam`. */
  userFq?: string
  /** Default: a fresh `t-<hex>` so tests sharing one host never share a token. */
  tokenName?: string
  /** Keys added to (or, with `undefined`, removed from) the `[proxmox]` section. */
  extraConfig?: Record<string, string | number | undefined>
  /** Write this text as the config file instead (for malformed-config tests). */
  configText?: string
  /** Skip writing the config file (for the template tests). */
  noConfig?: boolean
}

/** A fresh token name, valid for Proxmox (`[A-Za-z][A-Za-z0-9._-]+`). */
export function freshTokenName(): string {
  return `t-${randomBytes(4).toString('hex')}`
}

/**
 * Makes a runtime root for the simulated host: `<root>/config/proxmox.conf` with PROXMOX_IP,
 * USER_FQ, TOKEN_NAME, PROXMOX_SSH_PORT, PROXMOX_API_PORT and PROXMOX_SSH_KEY (the sim's
 * client key), plus `extraConfig`; and a vault password file outside the root.
 */
export async function prepareRoot(sim: SimEndpoint, options: PrepareRootOptions = {}): Promise<ProxmoxRoot> {
  const dir = await tempDir('hyops-proxmox-')
  const root = options.root ?? join(dir, 'root')
  const home = options.home ?? join(dir, 'home')
  await mkdir(home, {recursive: true})
  const userFq = options.userFq ?? 'automation@pam'
  const tokenName = options.tokenName ?? freshTokenName()
  const password = `vault pässword ${randomBytes(3).toString('hex')}`
  const passwordFile = join(dir, 'vault-pass')
  await writeFile(passwordFile, password + '\n', {mode: 0o600})
  const at: ProxmoxRoot = {
    configFile: join(root, 'config', 'proxmox.conf'),
    credentialsFile: join(root, 'credentials', 'proxmox.credentials.tfvars'),
    home,
    knownHostsFile: join(root, 'state', 'known_hosts'),
    markerFile: join(root, 'meta', 'proxmox.ready.json'),
    password,
    passwordFile,
    root,
    tokenId: `${userFq}!${tokenName}`,
    tokenName,
    userFq,
    vaultFile: join(root, 'vault', 'bootstrap.vault.env'),
  }
  if (!options.noConfig) {
    const keys: Record<string, string | number | undefined> = {
      PROXMOX_IP: sim.host,
      USER_FQ: userFq,
      TOKEN_NAME: tokenName,
      PROXMOX_SSH_PORT: sim.sshPort,
      PROXMOX_API_PORT: sim.apiPort,
      PROXMOX_SSH_KEY: sim.clientKey.privateKeyPath,
      ...options.extraConfig,
    }
    const lines = Object.entries(keys)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key} = ${value}`)
    await mkdir(join(root, 'config'), {recursive: true, mode: 0o700})
    await writeFile(at.configFile, options.configText ?? ['[proxmox]', ...lines, ''].join('\n'))
  }

  return at
}

/**
 * `hyops init proxmox --root <root> --vault-password-file <file> ...args` in its own process,
 * with HOME = the root's home. `env` adds variables (e.g. `HYOPS_PROXMOX_SSH_PORT`).
 */
export function initProxmox(
  at: ProxmoxRoot,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  options: Omit<CliOptions, 'env'> = {},
): Promise<CliRun> {
  return runCli(['init', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile, ...args], {
    ...options,
    env: {HOME: at.home, ...env},
  })
}

/** The decrypted vault of a root (by the library); `{}` when there is no vault file. */
export async function vaultValues(at: ProxmoxRoot): Promise<Record<string, string>> {
  const bytes = await readFile(at.vaultFile).catch(() => undefined)
  if (bytes === undefined) return {}
  const {plaintext} = await decryptVault(bytes, at.password)
  return parseEnvFile(plaintext.toString('utf8')).values
}

/**
 * The credentials tfvars of a root: text, permission bits and values (`parseTfvars`, which throws on anything
 * but literals).
 */
export async function readTfvars(
  at: ProxmoxRoot,
): Promise<{text: string; mode: number; values: ReturnType<typeof parseTfvars>}> {
  const text = await readFile(at.credentialsFile, 'utf8')
  const mode = (await stat(at.credentialsFile)).mode & 0o777
  return {mode, text, values: parseTfvars(text)}
}

/** The parsed readiness marker, or undefined when there is none. */
export async function readMarkerJson(at: ProxmoxRoot): Promise<ProxmoxMarker | undefined> {
  const text = await readFile(at.markerFile, 'utf8').catch(() => undefined)
  return text === undefined ? undefined : (JSON.parse(text) as ProxmoxMarker)
}

/** The bytes of a file, or undefined when it does not exist: compare before and after a run. */
export async function fileBytes(path: string): Promise<Buffer | undefined> {
  return readFile(path).catch(() => undefined)
}

/**
 * Every regular file under `dir` (recursively, symlinks not followed) whose bytes hold
 * `secret`, except the paths in `except`. An empty result proves the secret is nowhere else.
 */
export async function scanForSecret(dir: string, secret: string, options: {except?: string[]} = {}): Promise<string[]> {
  if (secret === '') throw new Error('scanForSecret: an empty secret matches everything')
  const needle = Buffer.from(secret, 'utf8')
  const except = new Set(options.except ?? [])
  const found: string[] = []
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path).catch(() => undefined)
    if (info === undefined || except.has(path)) return
    if (info.isDirectory()) {
      for (const name of await readdir(path)) await walk(join(path, name))
    } else if (info.isFile() && (await readFile(path)).includes(needle)) {
      found.push(path)
    }
  }

  await walk(dir)
  return found
}

/**
 * The HTTP status the simulated API answers a token (`GET /api2/json/version` unless `path`
 * says otherwise), over TLS verified against the sim's CA.
 */
export async function apiStatus(
  sim: SimEndpoint,
  tokenId: string,
  secret: string,
  path = '/api2/json/version',
): Promise<number> {
  const ca = await readFile(SIM_CA_FILE, 'utf8')
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ca,
        headers: {Authorization: `PVEAPIToken=${tokenId}=${secret}`},
        host: sim.host,
        method: 'GET',
        path,
        port: sim.apiPort,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/**
 * Where each secret must never be (output, evidence, logs, process arguments). Returns one line
 * per place that holds one
 * (the line names the place and the secret's index, never the secret): files under the root
 * other than the vault and the credentials file, files under the root's HOME, the runs'
 * stdout, stderr and argv, and every argv or exec'd command string the host saw (`hostArgv`,
 * from `sim.execLog()`).
 */
export async function secretLeaks(
  at: ProxmoxRoot,
  secrets: Array<string | undefined>,
  runs: CliRun[],
  hostArgv: string[][] = [],
): Promise<string[]> {
  const leaks: string[] = []
  for (const [index, secret] of secrets.entries()) {
    if (!secret) continue
    const which = `secret #${index}`
    for (const file of await scanForSecret(at.root, secret, {except: [at.vaultFile, at.credentialsFile]}))
      leaks.push(`${which} in ${file}`)
    for (const file of await scanForSecret(at.home, secret)) leaks.push(`${which} in ${file}`)
    for (const [n, run] of runs.entries()) {
      if (run.stdout.includes(secret)) leaks.push(`${which} on stdout of run ${n}`)
      if (run.stderr.includes(secret)) leaks.push(`${which} on stderr of run ${n}`)
      if (run.argv.some((arg) => arg.includes(secret))) leaks.push(`${which} in the argv of run ${n}`)
    }

    for (const argv of hostArgv)
      if (argv.some((arg) => arg.includes(secret))) leaks.push(`${which} in a host argv: ${argv[0]} ${argv[1] ?? ''}`)
  }

  return leaks
}

/** `ansible-vault view` (Debian's ansible-core) of the root's vault, parsed; fails when it cannot run. */
export function ansibleVaultView(at: ProxmoxRoot): Record<string, string> {
  requireTool('ansible-vault', 'ansible-core')
  const result = spawnSync('ansible-vault', ['view', '--vault-password-file', at.passwordFile, at.vaultFile], {
    encoding: 'utf8',
    env: {
      ANSIBLE_NOCOLOR: '1',
      HOME: at.home,
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    },
  })
  if (result.error) assert.fail(`ansible-vault cannot run (${result.error.message}); install Debian's ansible-core`)
  assert.equal(result.status, 0, result.stderr)
  return parseEnvFile(result.stdout).values
}

/**
 * The tfvars values as Terraform itself reads them (`terraform console -var-file`, with a
 * variable of the right type declared for each name), when a `terraform` binary is on PATH;
 * undefined otherwise (it is not a Debian package, so a fresh CI machine may lack it).
 */
export async function terraformReads(
  tfvarsFile: string,
  names: string[],
): Promise<Record<string, unknown> | undefined> {
  if (spawnSync('terraform', ['version'], {stdio: 'ignore'}).status !== 0) return undefined
  const dir = await mkdtemp(join(tmpdir(), 'hyops-tf-'))
  try {
    const typeOf = (name: string) => (name === 'proxmox_skip_tls' ? 'bool' : name === 'http_port' ? 'number' : 'string')
    await writeFile(
      join(dir, 'variables.tf'),
      names.map((name) => `variable "${name}" {\n  type = ${typeOf(name)}\n}\n`).join(''),
    )
    const expression = `jsonencode({${names.map((name) => `${name} = var.${name}`).join(', ')}})`
    const env = {...process.env, TF_CLI_CONFIG_FILE: '/dev/null', TF_IN_AUTOMATION: '1'}
    const result = spawnSync('terraform', ['console', `-var-file=${tfvarsFile}`], {
      cwd: dir,
      encoding: 'utf8',
      env,
      input: expression + '\n',
    })
    assert.equal(result.status, 0, `terraform rejected the tfvars: ${result.stderr}`)
    return JSON.parse(JSON.parse(result.stdout.trim()) as string) as Record<string, unknown>
  } finally {
    await rm(dir, {force: true, recursive: true})
  }
}

/**
 * What a first run leaves on a fresh root against the simulated host (default state),
 * whatever SSH server carried it: exit 0; the tfvars mode 0600 with every required key, each
 * line a plain HCL literal, the values `parseTfvars` (and Terraform, when installed) reads;
 * the marker `ready` with the discovered runtime; the vault holding the host's secret (read
 * by the library, `hyops vault get` and `ansible-vault view`); the user, the token (privsep
 * 0, no expiry) and its grants on the host, the token reading the snippets storage. `expected` changes the
 * SSH key path and user the tfvars name (an agent-only key, a non-root user).
 */
export async function assertFirstRun(
  sim: PveSim,
  at: ProxmoxRoot,
  run: CliRun,
  expected: {sshKey?: string; sshUsername?: string} = {},
): Promise<{secret: string; terraformChecked: boolean}> {
  assert.equal(run.code, 0, run.stderr)
  assert.doesNotMatch(run.stderr, /\n\s+at \S/, 'no stack trace')
  const state = await sim.readState()
  const token = state.tokens[at.tokenId]
  assert.ok(token, `the token ${at.tokenId} exists on the host`)
  const {secret} = token
  assert.match(secret, /^[0-9a-f-]{36}$/)

  const tfvars = await readTfvars(at)
  assert.equal(tfvars.mode, 0o600)
  for (const key of REQUIRED_TFVARS_KEYS) assert.ok(key in tfvars.values, `tfvars has ${key}`)
  for (const line of tfvars.text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')))
    assert.match(line, TFVARS_LINE)
  assert.deepEqual(tfvars.values, {
    http_bind_address: '127.0.0.1',
    http_port: 8802,
    network_bridge: 'vmbr0',
    proxmox_node: 'pve1',
    proxmox_skip_tls: true,
    proxmox_ssh_key: expected.sshKey ?? sim.clientKey.privateKeyPath,
    proxmox_ssh_username: expected.sshUsername ?? 'root',
    proxmox_token_id: at.tokenId,
    proxmox_token_secret: secret,
    proxmox_url: `https://127.0.0.1:${sim.apiPort}/api2/json`,
    ssh_public_key: sim.clientKey.publicKey,
    storage_iso: 'local',
    storage_pool: 'local-lvm',
    storage_snippets: 'local',
  })
  const terraform = await terraformReads(at.credentialsFile, Object.keys(tfvars.values))
  if (terraform) assert.deepEqual(terraform, tfvars.values)

  const marker = await readMarkerJson(at)
  assert.ok(marker, 'a marker')
  assert.equal(marker.status, 'ready')
  assert.equal(marker.target, 'proxmox')
  assert.match(marker.run_id, RUN_ID)
  assert.deepEqual(
    {config: marker.paths.config, credentials: marker.paths.credentials, vault: marker.paths.vault},
    {config: at.configFile, credentials: at.credentialsFile, vault: at.vaultFile},
  )
  assert.equal(marker.context.ssh_public_key, sim.clientKey.publicKey)
  // hyops made the token (managed) and, unless the user existed, the user; TOKEN_EXPIRE 0: it never expires.
  const {user_created: userCreated, ...markerToken} = marker.token ?? {}
  assert.deepEqual(markerToken, {
    action: 'created',
    expire: 0,
    expire_iso: null,
    id: at.tokenId,
    managed: true,
    renew_days: 14,
  })
  assert.ok(userCreated === undefined || userCreated === true)
  assert.deepEqual(marker.runtime, {
    api_ip: '127.0.0.1',
    api_ip_source: 'proxmox_ip',
    bridge: 'vmbr0',
    bridge_source: 'detected',
    node: 'pve1',
    storage_iso: 'local',
    storage_iso_source: 'detected',
    storage_snippets: 'local',
    storage_snippets_source: 'detected',
    storage_vm: 'local-lvm',
    storage_vm_source: 'detected',
    cluster_nodes: [{ip: '127.0.0.1', name: 'pve1', online: true}],
  })
  assert.equal(marker.warnings, undefined, 'no warnings')

  assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, secret)
  const get = await runCli(
    ['vault', 'get', 'PROXMOX_TOKEN_SECRET', '--root', at.root, '--vault-password-file', at.passwordFile],
    {env: {HOME: at.home}},
  )
  assert.equal(get.code, 0, get.stderr)
  assert.equal(get.stdout, secret)
  assert.equal(ansibleVaultView(at).PROXMOX_TOKEN_SECRET, secret)

  assert.ok(state.users[at.userFq], 'the API user exists')
  assert.equal(token.privsep, 0)
  assert.equal(token.expire, 0)
  // The managed role on / for the user alone (privilege separation off: the token has the user's privileges).
  assert.deepEqual(
    state.acls.filter((acl) => acl.ugid === at.userFq || acl.ugid === at.tokenId).map((a) => [a.path, a.type, a.roles]),
    [['/', 'user', ['HyopsAutomation']]],
  )
  assert.ok(state.custom_roles?.HyopsAutomation?.includes('VM.Allocate'), 'the role holds the profile')
  assert.ok(!state.acls.some((acl) => acl.roles.includes('Administrator')), 'no Administrator grant')
  assert.equal(await apiStatus(sim, at.tokenId, secret, '/api2/json/nodes/pve1/storage/local/content'), 200)
  return {secret, terraformChecked: terraform !== undefined}
}
