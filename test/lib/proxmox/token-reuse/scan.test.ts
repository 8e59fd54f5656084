// Cross-env token reuse (issue 5): matching rules, ordering, broken siblings, concurrency and
// cancellation. Real files, real vaults, and the simulated host's HTTPS API for the timing.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdir, readFile, symlink, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {HyopsError} from '../../../../src/lib/errors.js'
import type {ProxmoxTokenCheck} from '../../../../src/lib/proxmox/api/validation.js'
import {
  findReusableToken,
  matchesTarget,
  siblingEnvsDir,
  type TokenReuseQuery,
} from '../../../../src/lib/proxmox/token-reuse/scan.js'
import {listSiblingEnvs, readSiblingCredentials} from '../../../../src/lib/proxmox/token-reuse/siblings.js'
import {openVault} from '../../../../src/lib/vault/open-vault.js'
import {startPveSim, type PveSim} from '../../../fixtures/pve-sim/index.js'
import {cleanupTempDirs, tempDir} from '../../../helpers/cli.js'

const TOKEN = 'automation@pam!infra-token'
const HOST = '10.20.30.40'
const PORT = 8006

interface SiblingSpec {
  url?: string
  tokenId?: string
  /** Written as proxmox_token_secret (omitted when undefined). */
  secret?: string
  /** PROXMOX_TOKEN_SECRET in the sibling's vault. */
  vaultSecret?: string
  /** Password of that vault (the shared one unless given). */
  vaultPassword?: string
  /** Instead of the usual tfvars text. */
  raw?: string | Buffer
  /** Seconds since the epoch for the tfvars mtime. */
  mtime?: number
  node?: string | null
  storage?: string
  caPem?: string
}

let passwordFile: string
const PASSWORD = 'shared vault password'

async function sibling(envsDir: string, name: string, spec: SiblingSpec = {}): Promise<string> {
  const root = join(envsDir, name)
  await mkdir(join(root, 'credentials'), {recursive: true})
  const tfvars = join(root, 'credentials', 'proxmox.credentials.tfvars')
  const lines = [
    `proxmox_url = "${spec.url ?? `https://${HOST}:${PORT}/api2/json`}"`,
    `proxmox_token_id = "${spec.tokenId ?? TOKEN}"`,
    ...(spec.secret === undefined ? [] : [`proxmox_token_secret = "${spec.secret}"`]),
    ...(spec.node === null ? [] : [`proxmox_node = "${spec.node ?? 'pve1'}"`]),
    `storage_snippets = "${spec.storage ?? 'local'}"`,
    'proxmox_skip_tls = true',
    'http_port = 8802',
  ]
  await writeFile(tfvars, spec.raw ?? lines.join('\n') + '\n', {mode: 0o600})
  if (spec.mtime !== undefined) await utimes(tfvars, spec.mtime, spec.mtime)
  if (spec.vaultSecret !== undefined) {
    const file = join(dir(spec.vaultPassword), 'pass')
    await writeFile(file, (spec.vaultPassword ?? PASSWORD) + '\n', {mode: 0o600})
    const vault = await openVault({
      environment: {},
      interactive: false,
      passwordFile: file,
      vaultFile: join(root, 'vault', 'bootstrap.vault.env'),
    })
    await vault.update({PROXMOX_TOKEN_SECRET: spec.vaultSecret})
  }

  if (spec.caPem !== undefined) {
    await mkdir(join(root, 'state'), {recursive: true})
    await writeFile(join(root, 'state', 'proxmox-ca.pem'), spec.caPem)
  }

  return root
}

const passwordDirs = new Map<string, string>()
let scratch: string
function dir(password: string | undefined): string {
  const key = password ?? PASSWORD
  let found = passwordDirs.get(key)
  if (!found) {
    found = join(scratch, `pw-${passwordDirs.size}`)
    execFileSync('mkdir', ['-p', found])
    passwordDirs.set(key, found)
  }

  return found
}

/** An envs folder with this run's root `self` in it (its own files are never read). */
async function envsFolder(): Promise<{envsDir: string; root: string}> {
  const base = await tempDir('hyops-reuse-')
  const envsDir = join(base, 'envs')
  const root = join(envsDir, 'self')
  await mkdir(join(root, 'credentials'), {recursive: true})
  return {envsDir, root}
}

function query(root: string, extra: Partial<TokenReuseQuery> = {}): TokenReuseQuery {
  return {
    apiPort: PORT,
    apiUrl: `https://${HOST}:${PORT}/api2/json`,
    hosts: [HOST],
    root,
    tlsSkip: true,
    tokenId: TOKEN,
    vault: {environment: {}, passwordFile},
    ...extra,
  }
}

const rejected = (check: ProxmoxTokenCheck) =>
  new HyopsError(21, `Proxmox rejected the token ${check.tokenId} (401)`, {reason: 'token-rejected'})

/** A validator that accepts `valid` (after `validMs`) and rejects the rest (after `badMs`), logging calls. */
function fakeValidator(valid: string | undefined, options: {validMs?: number; badMs?: number} = {}) {
  const calls: Array<{
    secret: string
    node: string
    storage: string
    apiUrl: string
    aborted: () => boolean
    caPem?: string
  }> = []
  const validate = async (check: ProxmoxTokenCheck) => {
    calls.push({
      apiUrl: check.apiUrl,
      aborted: () => check.signal?.aborted ?? false,
      caPem: check.caPem,
      node: check.node,
      secret: check.secret,
      storage: check.storage,
    })
    const ms = check.secret === valid ? (options.validMs ?? 1) : (options.badMs ?? 1)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms)
      check.signal?.addEventListener('abort', () => {
        clearTimeout(timer)
        reject(new HyopsError(21, 'cancelled', {reason: 'cancelled'}))
      })
    })
    if (check.secret !== valid) throw rejected(check)
    return {version: '8.2.4'}
  }

  return {calls, validate}
}

before(async () => {
  scratch = await tempDir('hyops-reuse-pw-')
  passwordFile = join(dir(undefined), 'pass')
  await writeFile(passwordFile, PASSWORD + '\n', {mode: 0o600})
})
after(cleanupTempDirs)

describe('matchesTarget', () => {
  const target = {apiPort: PORT, hosts: [HOST, 'PVE.lab.example'], tokenId: TOKEN}
  it('takes the same token on the same host and port', () => {
    assert.equal(matchesTarget({host: HOST, port: PORT, tokenId: TOKEN}, target), true)
  })

  it('takes any of the names this run knows the host by, case and a trailing dot aside', () => {
    assert.equal(matchesTarget({host: 'pve.lab.example.', port: PORT, tokenId: TOKEN}, target), true)
  })

  it('takes a URL without a port (only compared when both have one)', () => {
    assert.equal(matchesTarget({host: HOST, tokenId: TOKEN}, target), true)
  })

  it('refuses another host, another port, another token id (even one differing in case)', () => {
    assert.equal(matchesTarget({host: '10.20.30.41', port: PORT, tokenId: TOKEN}, target), false)
    assert.equal(matchesTarget({host: HOST, port: 8007, tokenId: TOKEN}, target), false)
    assert.equal(matchesTarget({host: HOST, port: PORT, tokenId: 'automation@pam!other'}, target), false)
    assert.equal(matchesTarget({host: HOST, port: PORT, tokenId: 'Automation@pam!infra-token'}, target), false)
  })

  it('compares IPv6 addresses without their brackets', () => {
    assert.equal(
      matchesTarget(
        {host: '[fd00::5]', port: PORT, tokenId: TOKEN},
        {apiPort: PORT, hosts: ['FD00::5'], tokenId: TOKEN},
      ),
      true,
    )
  })
})

describe('siblingEnvsDir and listSiblingEnvs', () => {
  it('uses the parent of a root that sits in an envs folder, else ~/.hybridops/envs', () => {
    assert.equal(siblingEnvsDir('/srv/x/envs/dev', '/home/o/.hybridops'), '/srv/x/envs')
    assert.equal(siblingEnvsDir('/srv/runtime', '/home/o/.hybridops'), '/home/o/.hybridops/envs')
    assert.equal(siblingEnvsDir('/home/o/.hybridops', '/home/o/.hybridops'), '/home/o/.hybridops/envs')
  })

  it(
    'lists the directories beside the root, never the root (not even through a symlink), nor ' + 'plain files',
    async () => {
      const {envsDir, root} = await envsFolder()
      await sibling(envsDir, 'a')
      await symlink(root, join(envsDir, 'self-link'))
      await writeFile(join(envsDir, 'notes.txt'), 'not an env')
      const {envs, notes} = await listSiblingEnvs(envsDir, root)
      assert.deepEqual(
        envs.map((e) => e.name),
        ['a'],
      )
      assert.deepEqual(notes, [])
    },
  )

  it('has no siblings when the folder does not exist', async () => {
    const {envs, notes} = await listSiblingEnvs('/nonexistent/envs', '/nonexistent/envs/x')
    assert.deepEqual([envs, notes], [[], []])
  })
})

describe('readSiblingCredentials', () => {
  it('reads host, written port, token id, secret, node and storage', async () => {
    const {envsDir} = await envsFolder()
    const root = await sibling(envsDir, 'a', {secret: 's3cr3t', url: 'https://[FD00::5]:443/api2/json'})
    const read = await readSiblingCredentials({name: 'a', root})
    assert.equal(read.kind, 'credentials')
    const c = read.kind === 'credentials' ? read.credentials : undefined
    assert.deepEqual(
      [c?.host, c?.port, c?.tokenId, c?.secret, c?.node, c?.storage],
      ['fd00::5', 443, TOKEN, 's3cr3t', 'pve1', 'local'],
    )
  })

  it('a URL without a port has none', async () => {
    const {envsDir} = await envsFolder()
    const root = await sibling(envsDir, 'a', {url: `https://${HOST}/api2/json`})
    const read = await readSiblingCredentials({name: 'a', root})
    assert.equal(read.kind === 'credentials' ? read.credentials.port : 'x', undefined)
  })

  it('an env without Proxmox credentials offers nothing, silently', async () => {
    const {envsDir} = await envsFolder()
    await mkdir(join(envsDir, 'empty'), {recursive: true})
    assert.deepEqual(await readSiblingCredentials({name: 'empty', root: join(envsDir, 'empty')}), {kind: 'none'})
  })

  it('broken files are notes that name the env and hold no value', async () => {
    const {envsDir} = await envsFolder()
    const cases: Array<[string, (root: string) => Promise<void>, RegExp]> = [
      [
        'garbage',
        async (root) => writeFile(join(root, 'credentials', 'proxmox.credentials.tfvars'), randomBytes(512)),
        /not UTF-8 text|not a tfvars file/,
      ],
      [
        'template',
        async (root) =>
          writeFile(join(root, 'credentials', 'proxmox.credentials.tfvars'), 'proxmox_url = "${var.secret-value}"\n'),
        /not a tfvars file \(tfvars line 1/,
      ],
      [
        'nourl',
        async (root) =>
          writeFile(
            join(root, 'credentials', 'proxmox.credentials.tfvars'),
            `proxmox_token_id = "${TOKEN}"\nproxmox_token_secret = "hidden-value"\n`,
          ),
        /no proxmox_url/,
      ],
      [
        'ftp',
        async (root) =>
          writeFile(
            join(root, 'credentials', 'proxmox.credentials.tfvars'),
            `proxmox_url = "ftp://h/"\nproxmox_token_id = "${TOKEN}"\n`,
          ),
        /not an http\(s\) URL/,
      ],
      ['dir', async (root) => mkdir(join(root, 'credentials', 'proxmox.credentials.tfvars')), /not a regular file/],
      [
        'fifo',
        async (root) => void execFileSync('mkfifo', [join(root, 'credentials', 'proxmox.credentials.tfvars')]),
        /not a regular file/,
      ],
      [
        'huge',
        async (root) => writeFile(join(root, 'credentials', 'proxmox.credentials.tfvars'), '# x\n'.repeat(100_000)),
        /larger than/,
      ],
    ]
    for (const [name, make, why] of cases) {
      const root = join(envsDir, name)
      await mkdir(join(root, 'credentials'), {recursive: true})
      await make(root)
      const read = await readSiblingCredentials({name, root})
      assert.equal(read.kind, 'broken', name)
      const note = read.kind === 'broken' ? read.note : ''
      assert.match(note, new RegExp(`^skipped env "${name}": `), name)
      assert.match(note, why, name)
      assert.doesNotMatch(note, /hidden-value|secret-value/)
    }
  })
})

describe('findReusableToken (validation stubbed)', () => {
  it('reads every sibling, notes the broken ones, and validates only the matches', async () => {
    const {envsDir, root} = await envsFolder()
    await sibling(envsDir, 'good', {secret: 'good-secret'})
    await sibling(envsDir, 'other-host', {secret: 'decoy-1', url: 'https://10.20.30.99:8006/api2/json'})
    await sibling(envsDir, 'other-port', {secret: 'decoy-2', url: `https://${HOST}:8443/api2/json`})
    await sibling(envsDir, 'other-token', {secret: 'decoy-3', tokenId: 'automation@pam!ci'})
    // A non-matching sibling's vault has another password: it is never decrypted, so no note.
    await sibling(envsDir, 'other-vault', {
      tokenId: 'automation@pam!ci',
      vaultPassword: 'another',
      vaultSecret: 'decoy-4',
    })
    await sibling(envsDir, 'garbage', {raw: 'this is { not hcl'})
    const fake = fakeValidator('good-secret')
    const scan = await findReusableToken(query(root, {validate: fake.validate}))
    assert.equal(scan.found?.envName, 'good')
    assert.equal(scan.found?.source, 'credentials')
    assert.equal(scan.found?.secret, 'good-secret')
    assert.equal(scan.found?.version, '8.2.4')
    assert.deepEqual(scan.matched, ['good'])
    assert.deepEqual(
      fake.calls.map((c) => c.secret),
      ['good-secret'],
    )
    assert.equal(scan.envs, 6)
    assert.equal(scan.notes.length, 1)
    assert.match(
      scan.notes[0],
      /^skipped env "garbage": credentials\/proxmox\.credentials\.tfvars is not a tfvars file/,
    )
  })

  it('validates on this run URL, with the node and storage it knows, else the sibling ones', async () => {
    const {envsDir, root} = await envsFolder()
    await sibling(envsDir, 'a', {node: 'pve7', secret: 'x', storage: 'snips'})
    const fake = fakeValidator('x')
    await findReusableToken(query(root, {apiUrl: 'https://api.example:8006/api2/json', validate: fake.validate}))
    await findReusableToken(query(root, {node: 'pve1', storage: 'local', validate: fake.validate}))
    assert.deepEqual(
      fake.calls.map((c) => [c.apiUrl, c.node, c.storage]),
      [
        ['https://api.example:8006/api2/json', 'pve7', 'snips'],
        [`https://${HOST}:${PORT}/api2/json`, 'pve1', 'local'],
      ],
    )
  })

  it('tries the most recently written first, each distinct secret once, and stops at the first valid', async () => {
    const {envsDir, root} = await envsFolder()
    const now = Math.floor(Date.now() / 1000)
    await sibling(envsDir, 'old', {mtime: now - 3000, secret: 'old-secret'})
    await sibling(envsDir, 'new', {mtime: now - 10, secret: 'new-secret'})
    await sibling(envsDir, 'mid', {mtime: now - 1000, secret: 'mid-secret'})
    await sibling(envsDir, 'mid-copy', {mtime: now - 2000, secret: 'mid-secret'})
    await sibling(envsDir, 'older', {mtime: now - 4000, secret: 'older-secret'})
    // A marker written after its tfvars makes an env recent.
    await mkdir(join(envsDir, 'older', 'meta'), {recursive: true})
    await writeFile(join(envsDir, 'older', 'meta', 'proxmox.ready.json'), '{}')
    await utimes(join(envsDir, 'older', 'meta', 'proxmox.ready.json'), now - 500, now - 500)
    const fake = fakeValidator('mid-secret')
    const scan = await findReusableToken(query(root, {concurrency: 1, validate: fake.validate}))
    assert.deepEqual(scan.matched, ['new', 'older', 'mid', 'mid-copy', 'old'])
    assert.deepEqual(
      fake.calls.map((c) => c.secret),
      ['new-secret', 'older-secret', 'mid-secret'],
    )
    assert.equal(scan.found?.envName, 'mid')
    assert.equal(scan.tried, 3)
    assert.deepEqual(
      scan.failures.map((f) => [f.envName, f.reason]),
      [
        ['new', 'token-rejected'],
        ['older', 'token-rejected'],
      ],
    )
  })

  it('never tries a secret it was told is rejected (this env stale one)', async () => {
    const {envsDir, root} = await envsFolder()
    await sibling(envsDir, 'a', {secret: 'stale'})
    const fake = fakeValidator(undefined)
    const scan = await findReusableToken(query(root, {exclude: ['stale'], validate: fake.validate}))
    assert.equal(scan.found, undefined)
    assert.equal(fake.calls.length, 0)
    assert.equal(scan.excluded, 1)
  })

  it(
    'opens matching vaults with the same password source; another password or none is one ' + 'note, never fatal',
    async () => {
      const {envsDir, root} = await envsFolder()
      await sibling(envsDir, 'vaulted', {secret: 'stale-in-tfvars', vaultSecret: 'fresh-in-vault'})
      await sibling(envsDir, 'foreign', {vaultPassword: 'not ours', vaultSecret: 'never-seen'})
      await sibling(envsDir, 'foreign2', {vaultPassword: 'not ours', vaultSecret: 'never-seen-2'})
      // The winner ends the scan; its validation outlasts the key derivations of the other
      // vaults (started at the same time), so their notes are in before it wins.
      const fake = fakeValidator('fresh-in-vault', {validMs: 300})
      const scan = await findReusableToken(query(root, {validate: fake.validate}))
      assert.equal(scan.found?.envName, 'vaulted')
      assert.equal(scan.found?.source, 'vault')
      assert.ok(!fake.calls.some((c) => c.secret.startsWith('never-seen')))
      const vaultNotes = scan.notes.filter((n) => n.includes('vault'))
      assert.equal(vaultNotes.length, 1, scan.notes.join('\n'))
      assert.match(vaultNotes[0], /^skipped the vault of envs "foreign", "foreign2": /)

      const none = await findReusableToken(
        query(root, {vault: {environment: {}}, validate: fakeValidator('fresh-in-vault').validate}),
      )
      assert.equal(none.found, undefined)
      assert.deepEqual(none.notes, [
        'skipped the vault of envs "foreign", "foreign2", "vaulted": no vault password source ' +
          '(--vault-password-file, --vault-password-command)',
      ])
    },
  )

  it('validates concurrently and cancels the others once one is accepted', async () => {
    const {envsDir, root} = await envsFolder()
    const now = Math.floor(Date.now() / 1000)
    for (let i = 0; i < 40; i++)
      await sibling(envsDir, `stale-${String(i).padStart(2, '0')}`, {mtime: now - i, secret: `stale-${i}`})
    await sibling(envsDir, 'valid', {mtime: now - 9999, secret: 'valid'})
    const fake = fakeValidator('valid', {badMs: 3000, validMs: 30})
    const started = Date.now()
    const scan = await findReusableToken(query(root, {validate: fake.validate}))
    const elapsed = Date.now() - started
    assert.equal(scan.found?.envName, 'valid')
    assert.ok(elapsed < 1500, `the scan took ${elapsed} ms`)
    assert.equal(fake.calls.length, 41)
    assert.equal(fake.calls.at(-1)?.secret, 'valid', 'the oldest is started last')
    assert.ok(
      fake.calls.every((c) => c.aborted()),
      'every validation was cancelled once one won',
    )
    assert.deepEqual(scan.failures, [], 'cancelled candidates are not failures')
  })

  it('returns after every candidate failed, naming why', async () => {
    const {envsDir, root} = await envsFolder()
    await sibling(envsDir, 'a', {secret: 'one'})
    await sibling(envsDir, 'b', {node: null, secret: 'two'})
    const scan = await findReusableToken(query(root, {validate: fakeValidator(undefined).validate}))
    assert.equal(scan.found, undefined)
    assert.deepEqual(scan.failures.map((f) => [f.envName, f.reason]).sort(), [
      ['a', 'token-rejected'],
      ['b', 'incomplete'],
    ])
  })
})

describe('findReusableToken against the simulated Proxmox API', () => {
  let sim: PveSim
  const valid = randomBytes(18).toString('hex')
  before(async () => {
    sim = await startPveSim({
      state: {
        acls: [{path: '/', propagate: 1, roles: ['PVEAdmin'], type: 'user', ugid: 'automation@pam'}],
        faults: {bad_token_delay_ms: 3000},
        tokens: {[TOKEN]: {expire: 0, privsep: 0, secret: valid}},
        users: {'automation@pam': {enable: 1}, 'root@pam': {enable: 1}},
      },
    })
  })
  after(async () => sim?.stop())

  const simQuery = (root: string, extra: Partial<TokenReuseQuery> = {}) =>
    query(root, {
      apiPort: sim.apiPort,
      apiUrl: `https://127.0.0.1:${sim.apiPort}/api2/json`,
      hosts: ['127.0.0.1'],
      ...extra,
    })
  const simUrl = () => `https://127.0.0.1:${sim.apiPort}/api2/json`

  it('forty stale siblings (401 after 3 s each) and the valid one oldest: found well under the 3 s delay', async () => {
    const {envsDir, root} = await envsFolder()
    const now = Math.floor(Date.now() / 1000)
    for (let i = 0; i < 40; i++) {
      await sibling(envsDir, `stale-${i}`, {
        mtime: now - i,
        secret: randomBytes(18).toString('hex'),
        url: simUrl(),
        ...(i % 4 === 0 ? {vaultSecret: randomBytes(18).toString('hex')} : {}),
      })
    }

    await sibling(envsDir, 'valid', {mtime: now - 86_400, secret: valid, url: simUrl()})
    for (let i = 0; i < 10; i++)
      await sibling(envsDir, `decoy-${i}`, {secret: valid, url: `https://127.0.0.2:${sim.apiPort}/api2/json`})
    const started = Date.now()
    const scan = await findReusableToken(simQuery(root))
    const elapsed = Date.now() - started
    assert.equal(scan.found?.envName, 'valid')
    assert.equal(scan.found?.version, '8.2.4')
    assert.equal(scan.matched.length, 41)
    assert.equal(scan.matched.at(-1), 'valid')
    assert.ok(elapsed < 2500, `a scan of 41 candidates took ${elapsed} ms: not concurrent`)
  })

  it('verifies TLS with the sibling saved cluster CA when this run has none', async () => {
    const {envsDir, root} = await envsFolder()
    await sibling(envsDir, 'no-ca', {secret: valid, url: simUrl()})
    const withoutCa = await findReusableToken(simQuery(root, {tlsSkip: false}))
    assert.equal(withoutCa.found, undefined)
    assert.deepEqual(
      withoutCa.failures.map((f) => f.reason),
      ['tls'],
    )

    await sibling(envsDir, 'with-ca', {caPem: await readFile(sim.caFile, 'utf8'), secret: valid, url: simUrl()})
    const scan = await findReusableToken(simQuery(root, {tlsSkip: false}))
    assert.equal(scan.found?.secret, valid)
  })
})
