import assert from 'node:assert/strict'
import {readdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {
  Evidence,
  HyopsError,
  newRunId,
  RuntimeLayout,
  writeMarker,
  type InitContext,
  type InitFlags,
  type LoadedVault,
} from 'hyops'

import {initHetzner, type HetznerInitIO} from '../../src/lib/init.js'
import {startHcloudSim, type HcloudSim} from '../helpers/hcloud-sim.js'
import {cleanupTempDirs} from '../helpers/hyops-cli.js'
import {MemoryVault} from '../helpers/memory-vault.js'
import {rootForSim} from '../helpers/runtime-root.js'

const GOOD = 'good-token-0123456789'
const BAD = 'bad-token-9876543210'

let sim: HcloudSim
before(async () => {
  sim = await startHcloudSim([GOOD])
})
after(async () => {
  await sim.close()
  await cleanupTempDirs()
})

async function contextFor(root: string, flags: Partial<InitFlags> = {}, interactive = true): Promise<InitContext> {
  const layout = new RuntimeLayout(root)
  await layout.ensure()
  const runId = newRunId('hetzner')
  const evidence = await Evidence.start({dir: layout.evidenceDir('hetzner', runId), runId, target: 'hetzner'})
  return {
    configFile: layout.configFile('hetzner'),
    evidence,
    flags: {
      config: undefined,
      'dry-run': false,
      env: undefined,
      force: false,
      json: undefined,
      'non-interactive': !interactive,
      'out-dir': undefined,
      root: undefined,
      'vault-file': undefined,
      'vault-password-command': undefined,
      'vault-password-file': undefined,
      ...flags,
    },
    interactive,
    layout,
    root: {root, source: '--root'},
    runId,
    target: 'hetzner',
    vaultFile: layout.vaultFile,
  }
}

interface Harness extends HetznerInitIO {
  prompts: string[]
  warnings: string[]
  lines: string[]
}

function io(
  context: InitContext,
  options: {answers?: string[]; vault?: LoadedVault; env?: NodeJS.ProcessEnv; flag?: string} = {},
): Harness {
  const answers = [...(options.answers ?? [])]
  const harness: Harness = {
    environment: options.env ?? {},
    lines: [],
    loadVault: async () => options.vault ?? new MemoryVault(),
    log: (line) => harness.lines.push(line),
    prompts: [],
    promptToken: options.answers
      ? async (message) => {
          harness.prompts.push(message)
          const answer = answers.shift()
          if (answer === undefined) throw new Error('more prompts than the test expected')
          return answer
        }
      : undefined,
    tokenFlag: options.flag,
    warn: (line) => harness.warnings.push(line),
    warnings: [],
    writeMarker: (marker) => writeMarker(context.layout, marker),
  }
  return harness
}

const credentials = (root: string) => join(root, 'credentials', 'hetzner.credentials.tfvars')

describe('initHetzner (in process, interactive paths)', () => {
  it('asks once for a replacement when the API rejects the token, validates it and keeps it in the vault', async () => {
    const root = await rootForSim(sim.url)
    const context = await contextFor(root)
    const vault = new MemoryVault()
    const harness = io(context, {answers: [GOOD], env: {HCLOUD_TOKEN: BAD}, vault})
    const result = await initHetzner(context, harness)
    assert.equal(result.status, 'ready')
    assert.equal(result.token_source, 'prompt')
    assert.equal(result.vault, 'saved')
    assert.equal(harness.prompts.length, 1)
    assert.match(harness.warnings.join('\n'), /rejected the token .*\(token from HCLOUD_TOKEN\)/)
    assert.deepEqual(vault.updates, [{HCLOUD_TOKEN: GOOD}])
    assert.equal(await readFile(credentials(root), 'utf8'), `hcloud_token = "${GOOD}"\n`)
    assert.equal((await stat(credentials(root))).mode & 0o777, 0o600)
    const marker = JSON.parse(await readFile(join(root, 'meta', 'hetzner.ready.json'), 'utf8'))
    assert.equal(marker.status, 'ready')
    assert.equal(marker.token_source, 'prompt')
  })

  it('asks only once: a second refused token is exit 20 and nothing is written', async () => {
    const root = await rootForSim(sim.url)
    const context = await contextFor(root)
    const vault = new MemoryVault()
    const harness = io(context, {answers: [BAD, GOOD], env: {HCLOUD_TOKEN: BAD}, vault})
    await assert.rejects(
      initHetzner(context, harness),
      (error: unknown) => error instanceof HyopsError && error.exitCode === 20 && error.reason === 'token-rejected',
    )
    assert.equal(harness.prompts.length, 1, 'one replacement, not a loop')
    assert.deepEqual(vault.updates, [])
    assert.deepEqual(await readdir(join(root, 'credentials')), [])
    assert.deepEqual(await readdir(join(root, 'meta')), [])
  })

  it('does not prompt for a replacement when prompts are not allowed, or when the API is down', async () => {
    const root = await rootForSim(sim.url)
    const context = await contextFor(root, {}, false)
    await assert.rejects(
      initHetzner(context, io(context, {env: {HCLOUD_TOKEN: BAD}})),
      (error: unknown) => error instanceof HyopsError && error.exitCode === 20,
    )

    const down = await rootForSim('https://127.0.0.1:1')
    const downContext = await contextFor(down)
    const harness = io(downContext, {answers: [], env: {HCLOUD_TOKEN: GOOD}})
    await assert.rejects(
      initHetzner(downContext, harness),
      (error: unknown) => error instanceof HyopsError && error.reason === 'unreachable',
    )
    assert.deepEqual(harness.prompts, [])
  })

  it('leaves the vault alone when it already holds the flag-given token', async () => {
    const root = await rootForSim(sim.url)
    const context = await contextFor(root)
    const vault = new MemoryVault({HCLOUD_TOKEN: GOOD})
    const result = await initHetzner(context, io(context, {flag: GOOD, vault}))
    assert.equal(result.vault, 'unchanged')
    assert.deepEqual(vault.updates, [])
  })

  it('stops before the credentials and the marker when the vault write fails', async () => {
    const root = await rootForSim(sim.url)
    const context = await contextFor(root)
    const vault = new MemoryVault()
    vault.update = async () => {
      throw new HyopsError(21, 'cannot write the vault', {reason: 'write'})
    }

    await assert.rejects(
      initHetzner(context, io(context, {flag: GOOD, vault})),
      (error: unknown) => error instanceof HyopsError && error.exitCode === 21,
    )
    assert.deepEqual(await readdir(join(root, 'credentials')), [])
    assert.deepEqual(await readdir(join(root, 'meta')), [])
  })

  it('keeps the token out of the evidence', async () => {
    const root = await rootForSim(sim.url)
    const context = await contextFor(root)
    await initHetzner(context, io(context, {answers: [GOOD], env: {HCLOUD_TOKEN: BAD}}))
    await context.evidence.finish(0)
    for (const name of await readdir(context.evidence.dir)) {
      const text = await readFile(join(context.evidence.dir, name), 'utf8')
      assert.ok(!text.includes(GOOD) && !text.includes(BAD), `token in ${name}`)
    }
  })
})
