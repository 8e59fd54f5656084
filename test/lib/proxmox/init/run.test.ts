// ProxmoxInitRun driven through fakes of each of its I/O (vault, marker hook, SSH session with the bootstrap,
// token validation, prompts, clock): no SSH server, no API. The evidence and the files under the runtime
// root are real.

import assert from 'node:assert/strict'
import {mkdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import type {InitContext, InitFlags} from '../../../../src/lib/command/init-command.js'
import {HyopsError} from '../../../../src/lib/errors.js'
import type {ProxmoxTokenCheck} from '../../../../src/lib/proxmox/api/validation.js'
import type {RemoteBootstrapRequest} from '../../../../src/lib/proxmox/bootstrap/run.js'
import type {
  HostSession,
  ProxmoxInitIo,
  ProxmoxInitOptions,
  ProxmoxInitOutcome,
} from '../../../../src/lib/proxmox/init/io.js'
import {ProxmoxInitRun} from '../../../../src/lib/proxmox/init/run.js'
import {buildProxmoxMarker} from '../../../../src/lib/proxmox/outputs/marker.js'
import {parseTfvars} from '../../../../src/lib/proxmox/outputs/tfvars.js'
import type {ProviderAccountReport, ProviderAccountRequest} from '../../../../src/lib/proxmox/provider-account/setup.js'
import type {ProxmoxInputs, RuntimeDiscovery} from '../../../../src/lib/proxmox/types.js'
import {readMarker, type ReadinessMarker, writeMarker} from '../../../../src/lib/readiness/marker.js'
import {Evidence} from '../../../../src/lib/runtime/evidence.js'
import {RuntimeLayout} from '../../../../src/lib/runtime/layout.js'
import type {LoadedVault} from '../../../../src/lib/vault/vault-access.js'
import {cleanupTempDirs, tempDir} from '../../../helpers/cli.js'
import {testInputs} from '../bootstrap/helpers.js'

after(cleanupTempDirs)

const NOW = new Date('2026-01-02T03:04:05.000Z')
const INPUTS = testInputs({apiHost: '10.0.0.5', httpBindAddress: '10.0.0.1', sshPublicKey: 'ssh-ed25519 AAAAtest'})
const TOKEN_ID = INPUTS.tokenId

/** What the host found, as the bootstrap reports it. */
function discovery(overrides: Partial<RuntimeDiscovery> = {}): RuntimeDiscovery {
  return {
    apiIp: '10.0.0.5',
    bridge: 'vmbr0',
    bridgeSource: 'detected',
    node: 'pve1',
    storageIso: 'local',
    storageIsoSource: 'detected',
    storageSnippets: 'local',
    storageSnippetsSource: 'detected',
    storageVm: 'local-lvm',
    storageVmSource: 'detected',
    tokenExisted: true,
    ...overrides,
  }
}

/** One fake host: `script` plays the bootstrap (it may hand over a secret, report a removal, or throw). */
type Script = (request: RemoteBootstrapRequest) => Promise<RuntimeDiscovery>

interface World {
  root: string
  layout: RuntimeLayout
  /** Every write, in order: `vault:KEY,KEY`, `credentials`, `marker:<status>`. */
  writes: string[]
  vaultValues: Record<string, string>
  bootstraps: RemoteBootstrapRequest[]
  validations: ProxmoxTokenCheck[]
  steps: string[]
  ensureWritable: number
  /** What the run asked of the provider account step (PROVIDER_SSH_USER). */
  accountRequests: Array<Omit<ProviderAccountRequest, 'session'>>
  run(options?: {
    flags?: Partial<InitFlags>
    previous?: ReadinessMarker
    inputs?: Partial<ProxmoxInputs>
  }): Promise<ProxmoxInitOutcome>
}

async function world(vault: Record<string, string>, script: Script): Promise<World> {
  const root = join(await tempDir('hyops-run-'), 'envs', 'lab')
  const layout = new RuntimeLayout(root)
  for (const dir of ['credentials', 'meta', 'logs', 'state', 'vault']) await mkdir(join(root, dir), {recursive: true})
  const w: World = {
    accountRequests: [],
    bootstraps: [],
    ensureWritable: 0,
    layout,
    root,
    async run(options = {}) {
      if (options.previous) await writeMarker(layout, options.previous)
      const evidence = await Evidence.start({dir: join(root, 'logs', 'run'), runId: 'run-1', target: 'proxmox'})
      const flags: InitFlags = {
        config: undefined,
        'dry-run': false,
        env: undefined,
        force: false,
        json: undefined,
        'non-interactive': true,
        'out-dir': undefined,
        root: undefined,
        'vault-file': undefined,
        'vault-password-command': undefined,
        'vault-password-file': undefined,
        ...options.flags,
      }
      const context: InitContext = {
        configFile: layout.configFile('proxmox'),
        evidence,
        flags,
        interactive: false,
        layout,
        root: {root, source: '--root'},
        runId: 'run-1',
        target: 'proxmox',
        vaultFile: layout.vaultFile,
      }
      const runOptions: ProxmoxInitOptions = {bootstrap: false, hostKeyPolicy: 'accept-new'}
      return new ProxmoxInitRun(context, {...INPUTS, ...options.inputs}, runOptions, io).run()
    },
    steps: [],
    validations: [],
    vaultValues: {...vault},
    writes: [],
  }
  const loaded: LoadedVault = {
    async ensureWritable() {
      w.ensureWritable++
    },
    exists: true,
    file: layout.vaultFile,
    async update(changes) {
      w.writes.push(`vault:${Object.keys(changes).sort().join(',')}`)
      for (const [key, value] of Object.entries(changes))
        if (value === undefined) delete w.vaultValues[key]
        else w.vaultValues[key] = value
      return {...w.vaultValues}
    },
    get values() {
      return w.vaultValues
    },
  }
  const session: HostSession = {
    async bootstrap(request) {
      w.bootstraps.push(request)
      return script(request)
    },
    dispose() {},
    async enableSnippets() {
      throw new Error('not asked for')
    },
    async revoke() {
      throw new Error('not asked for')
    },
    async providerAccount(request) {
      w.accountRequests.push(request)
      return accountReport(request.account)
    },
  }
  const io: ProxmoxInitIo = {
    async connect() {
      return session
    },
    loadVault: async () => loaded,
    note() {},
    now: () => NOW,
    prompts: {
      confirm: async () => false,
      confirmReuseToken: async () => false,
      confirmRotateToken: async () => false,
    },
    async step(label, run) {
      w.steps.push(label)
      return run()
    },
    async validateToken(check) {
      w.validations.push(check)
      return {verified: {paths: ['/'], privileges: ['VM.Audit'], profile: 'terraform', role: 'Hyops', skipped: []}}
    },
    async writeMarker(marker) {
      w.writes.push(`marker:${marker.status}`)
      return writeMarker(layout, marker)
    },
  }
  // The credentials file is written by the run itself: record it when it appears.
  const credentials = layout.credentialsFile('proxmox')
  const origStep = io.step
  io.step = async (label, run) => {
    const result = await origStep(label, run)
    if (label === 'write credentials' && (await stat(credentials).catch(() => undefined))) w.writes.push('credentials')
    return result
  }
  return w
}

/** What the account step reports: pve1 with the snippets rule, pve2 with a sudo too old for it. */
function accountReport(account: string): ProviderAccountReport {
  const node = (name: string, address: string, teeRule: boolean) => ({
    account: 'created' as const,
    address,
    key: 'installed' as const,
    name,
    proof: {othersRefused: true, pvesm: true, qm: true, ...(teeRule ? {snippets: true} : {})},
    snippetsDirs: ['/var/lib/vz/snippets'],
    sudoVersion: teeRule ? '1.9.13' : '1.9.5',
    sudoers: 'written' as const,
    teeRule,
  })
  return {
    account,
    fingerprint: 'SHA256:abc',
    idmap: false,
    keyAction: 'made',
    keyFile: '/root/credentials/proxmox-provider-ssh.key',
    nodes: [node('pve1', '10.0.0.5', true), node('pve2', '10.0.0.6', false)],
  }
}

function previousMarker(): ReadinessMarker {
  return buildProxmoxMarker({
    paths: {config: 'c', credentials: 'cr', evidenceDir: 'e', vault: 'v'},
    runId: 'run-0',
    runtime: discovery(),
    status: 'ready',
    token: {action: 'created', id: TOKEN_ID},
  })
}

async function credentialsSecret(w: World): Promise<unknown> {
  return parseTfvars(await readFile(w.layout.credentialsFile('proxmox'), 'utf8')).proxmox_token_secret
}

describe('ProxmoxInitRun', () => {
  it('keeps a known token: one bootstrap in keep mode, one validation, no vault write', async () => {
    const w = await world({PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: 'known-secret'}, async () => discovery())
    const outcome = await w.run()
    assert.equal(outcome.status, 'ready')
    assert.equal(outcome.tokenAction, 'kept')
    assert.equal(outcome.secretOrigin, 'vault')
    assert.deepEqual(
      w.bootstraps.map((b) => b.tokenMode),
      ['keep'],
    )
    assert.deepEqual(
      w.validations.map((v) => v.secret),
      ['known-secret'],
      'validated once, before the writes',
    )
    assert.equal(w.validations[0].apiUrl, 'https://10.0.0.5:8006/api2/json')
    assert.equal(w.ensureWritable, 0, 'a kept token needs no vault password')
    assert.deepEqual(w.writes, ['credentials', 'marker:ready'])
    assert.deepEqual(w.vaultValues, {PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: 'known-secret'})
    assert.equal(await credentialsSecret(w), 'known-secret')
    const marker = await readMarker(w.layout, 'proxmox')
    assert.equal(marker?.status, 'ready')
    assert.equal(marker?.generated_at, NOW.toISOString(), 'the marker takes its time from the clock')
    assert.deepEqual((marker as {token?: unknown}).token, {action: 'kept', id: TOKEN_ID, renew_days: 14})
  })

  it('creates a missing token: secret into the vault as the host hands it over, then credentials, marker', async () => {
    const w = await world({}, async (request) => {
      await request.onTokenSecret?.('new-secret')
      return discovery({tokenExisted: false, tokenSecret: 'new-secret'})
    })
    const outcome = await w.run({flags: {'non-interactive': false}})
    assert.equal(outcome.tokenAction, 'created')
    assert.equal(outcome.secretOrigin, undefined)
    assert.deepEqual(
      w.bootstraps.map((b) => b.tokenMode),
      ['create'],
    )
    assert.equal(w.ensureWritable, 1, 'the vault password is checked before the host makes a token')
    assert.deepEqual(w.writes, ['vault:PROXMOX_TOKEN_ID,PROXMOX_TOKEN_SECRET', 'credentials', 'marker:ready'])
    assert.deepEqual(w.vaultValues, {PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: 'new-secret'})
    assert.deepEqual(
      w.validations.map((v) => v.secret),
      ['new-secret'],
    )
    assert.equal(await credentialsSecret(w), 'new-secret')
    assert.deepEqual(outcome.written, [
      w.layout.vaultFile,
      w.layout.credentialsFile('proxmox'),
      w.layout.markerFile('proxmox'),
    ])
  })

  it('refuses to make a token with --non-interactive and no secret, before reaching the host', async () => {
    const w = await world({}, async () => discovery())
    await assert.rejects(
      w.run(),
      (error: HyopsError) => error.exitCode === 21 && /--non-interactive/.test(error.message),
    )
    assert.deepEqual(w.bootstraps, [])
    assert.deepEqual(w.writes, [])
  })

  it('rotates with --force: marker not ready ahead, the old secret replaced, then ready again', async () => {
    const w = await world({PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: 'old-secret'}, async (request) => {
      request.onTokenRemoved?.()
      await request.onTokenSecret?.('rotated-secret')
      return discovery({tokenSecret: 'rotated-secret'})
    })
    const outcome = await w.run({flags: {force: true}, previous: previousMarker()})
    assert.equal(outcome.tokenAction, 'rotated')
    assert.deepEqual(
      w.bootstraps.map((b) => b.tokenMode),
      ['rotate'],
    )
    assert.deepEqual(w.writes, [
      'marker:not_ready',
      'vault:PROXMOX_TOKEN_ID,PROXMOX_TOKEN_SECRET',
      'credentials',
      'marker:ready',
    ])
    assert.equal(w.vaultValues.PROXMOX_TOKEN_SECRET, 'rotated-secret')
    assert.equal(w.vaultValues.PROXMOX_PREVIOUS_TOKEN_SECRET, undefined, 'the same token id: the old secret is dead')
    assert.deepEqual(
      w.validations.map((v) => v.secret),
      ['rotated-secret'],
    )
    assert.equal(await credentialsSecret(w), 'rotated-secret')
    const marker = await readMarker(w.layout, 'proxmox')
    assert.equal(marker?.status, 'ready')
    // A token hyops made (managed) that never expires (TOKEN_EXPIRE 0), with the renewal window of the inputs.
    assert.deepEqual((marker as {token?: unknown}).token, {
      action: 'rotated',
      expire: 0,
      expire_iso: null,
      id: TOKEN_ID,
      managed: true,
      renew_days: 14,
    })
  })

  it('a bootstrap failing after the token was removed leaves the marker not ready, no credentials', async () => {
    const w = await world({PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: 'old-secret'}, async (request) => {
      request.onTokenRemoved?.()
      throw new HyopsError(20, 'remote bootstrap on root@pve failed (exit 1): pveum failed', {reason: 'script-failed'})
    })
    await assert.rejects(
      w.run({flags: {force: true}, previous: previousMarker()}),
      (error: HyopsError) => error.exitCode === 20 && error.reason === 'script-failed',
    )
    assert.deepEqual(w.writes, ['marker:not_ready', 'marker:not_ready'])
    assert.deepEqual(w.validations, [], 'nothing to validate')
    assert.deepEqual(w.vaultValues, {PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: 'old-secret'})
    await assert.rejects(stat(w.layout.credentialsFile('proxmox')), {code: 'ENOENT'})
    const marker = await readMarker(w.layout, 'proxmox')
    assert.equal(marker?.status, 'not_ready')
    assert.match(String(marker?.reason), /token removed by run run-1, which then failed: remote bootstrap/)
  })

  it('a bootstrap that fails before the host removed anything gives the marker back its bytes', async () => {
    const w = await world({PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: 'old-secret'}, async () => {
      throw new HyopsError(20, 'remote bootstrap on root@pve failed (exit 1): no perl', {reason: 'script-failed'})
    })
    const previous = previousMarker()
    await assert.rejects(w.run({flags: {force: true}, previous}), (error: HyopsError) => error.exitCode === 20)
    assert.deepEqual(w.writes, ['marker:not_ready'], 'only the write-ahead')
    assert.deepEqual(await readMarker(w.layout, 'proxmox'), previous, 'the ready marker is back')
  })

  it('PROVIDER_SSH_USER: the account step runs on the bootstrap session; tfvars and marker hand it out', async () => {
    const members = [
      {ip: '10.0.0.5', name: 'pve1', online: true},
      {ip: '10.0.0.6', name: 'pve2', online: true},
    ]
    const w = await world({PROXMOX_TOKEN_ID: TOKEN_ID, PROXMOX_TOKEN_SECRET: 'known-secret'}, async () =>
      discovery({clusterNodes: members}),
    )
    const outcome = await w.run({flags: {'non-interactive': false}, inputs: {providerSshUser: 'terraform'}})
    assert.equal(w.accountRequests.length, 1)
    const [request] = w.accountRequests
    assert.equal(request.account, 'terraform')
    assert.equal(request.node, 'pve1')
    assert.deepEqual(request.members, members)
    assert.equal(request.replaceKey, false)
    assert.ok(w.steps.indexOf('bootstrap Proxmox') < w.steps.indexOf('write credentials'))
    const tfvars = parseTfvars(await readFile(w.layout.credentialsFile('proxmox'), 'utf8'))
    assert.equal(tfvars.proxmox_ssh_username, 'terraform')
    assert.equal(tfvars.proxmox_ssh_key, '/root/credentials/proxmox-provider-ssh.key')
    assert.deepEqual(tfvars.proxmox_ssh_nodes, {pve1: '10.0.0.5', pve2: '10.0.0.6'})
    const marker = (await readMarker(w.layout, 'proxmox')) as ReadinessMarker & {provider_ssh?: {user: string}}
    assert.equal(marker.provider_ssh?.user, 'terraform')
    assert.deepEqual(
      outcome.warnings?.map((warning) => warning.code),
      ['provider-ssh-no-tee'],
    )

    // A non-interactive re-run stays away from the host only while the marker records this account.
    await w.run({inputs: {providerSshUser: 'terraform'}})
    assert.equal(w.bootstraps.length, 1, 'the recorded account needs no host')
    assert.equal(
      parseTfvars(await readFile(w.layout.credentialsFile('proxmox'), 'utf8')).proxmox_ssh_username,
      'terraform',
    )
    await w.run({inputs: {providerSshUser: 'other'}})
    assert.equal(w.bootstraps.length, 2, 'another account takes the run to the nodes')
    assert.equal(w.accountRequests.at(-1)?.account, 'other')
  })
})
