import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {closedPort, OTHER_CA_FILE, startHcloudSim, type HcloudSim} from '../../helpers/hcloud-sim.js'
import {cleanupTempDirs, homeWithPluginLinked, runHyops, tempDir, type HyopsRun} from '../../helpers/hyops-cli.js'
import {PLUGIN_ROOT} from '../../helpers/paths.js'
import {filesUnder, rootForSim} from '../../helpers/runtime-root.js'

const GOOD = randomBytes(32).toString('hex')
const OTHER_GOOD = randomBytes(32).toString('hex')
const BAD = randomBytes(32).toString('hex')

let sim: HcloudSim
let home: string

before(async () => {
  sim = await startHcloudSim([GOOD, OTHER_GOOD])
  home = await homeWithPluginLinked()
})

after(async () => {
  await sim?.close()
  await cleanupTempDirs()
})

const credentialsOf = (root: string) => join(root, 'credentials', 'hetzner.credentials.tfvars')
const markerOf = (root: string) => join(root, 'meta', 'hetzner.ready.json')

function hyops(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<HyopsRun> {
  return runHyops(args, {env, home, input})
}

/** No secret in the output, the evidence, the marker or the config. */
async function assertNoSecret(root: string, run: HyopsRun, ...secrets: string[]): Promise<void> {
  const files = [
    ...(await filesUnder(join(root, 'logs'))),
    ...(await filesUnder(join(root, 'meta'))),
    ...(await filesUnder(join(root, 'config'))),
  ]
  for (const secret of secrets) {
    assert.ok(!run.stdout.includes(secret), 'token on stdout')
    assert.ok(!run.stderr.includes(secret), 'token on stderr')
    for (const file of files) assert.ok(!file.text.includes(secret), `token in ${file.path}`)
  }
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

describe('hyops init hetzner (the plugin linked into the built hyops)', () => {
  it('is linked as a user would link it, and shows under hyops init', async () => {
    const plugins = await hyops(['plugins'])
    assert.equal(plugins.code, 0, plugins.stderr)
    assert.match(plugins.stdout, /^hetzner .*\(link\)/m, '@hyops/plugin-hetzner by its short name (oclif.scope)')
    assert.ok(plugins.stdout.includes(PLUGIN_ROOT))
    const help = await hyops(['init', '--help'])
    assert.match(help.stdout, /init hetzner\s+Validate a Hetzner Cloud API token/)
  })

  it('runs end to end with the token from the environment, then init status lists proxmox and hetzner', async () => {
    const root = await rootForSim(sim.url)
    // init proxmox is another command: its marker stands in for a run of it.
    await mkdir(join(root, 'meta'), {mode: 0o700})
    await writeFile(
      join(root, 'meta', 'proxmox.ready.json'),
      JSON.stringify({
        generated_at: '2026-11-25T10:00:00Z',
        paths: {},
        run_id: 'init-proxmox-20261125T100000Z-00000000',
        status: 'ready',
        target: 'proxmox',
      }),
    )
    const before = sim.requests.length
    const run = await hyops(['init', 'hetzner', '--root', root, '--non-interactive'], {HCLOUD_TOKEN: GOOD})
    assert.equal(run.code, 0, run.stderr)

    const requests = sim.requests.slice(before)
    assert.deepEqual(requests, [{authorization: `Bearer ${GOOD}`, method: 'GET', path: '/v1/servers'}])
    assert.equal(await readFile(credentialsOf(root), 'utf8'), `hcloud_token = "${GOOD}"\n`)
    assert.equal(await mode(credentialsOf(root)), 0o600)

    const marker = JSON.parse(await readFile(markerOf(root), 'utf8'))
    assert.equal(marker.target, 'hetzner')
    assert.equal(marker.status, 'ready')
    assert.match(marker.run_id, /^init-hetzner-\d{8}T\d{6}Z-[0-9a-f]{8}$/)
    assert.ok(!Number.isNaN(Date.parse(marker.generated_at)))
    assert.equal(marker.paths.credentials, credentialsOf(root))
    assert.equal(marker.paths.config, join(root, 'config', 'hetzner.conf'))
    assert.equal(marker.token_source, 'HCLOUD_TOKEN')
    assert.match(run.stdout, /hetzner: ready/)
    await assertNoSecret(root, run, GOOD)

    const evidence = join(root, 'logs', 'init', 'hetzner', marker.run_id)
    const meta = JSON.parse(await readFile(join(evidence, 'meta.json'), 'utf8'))
    assert.equal(meta.status, 'succeeded')
    assert.deepEqual(
      JSON.parse(await readFile(join(evidence, 'files.json'), 'utf8')).sort(),
      [credentialsOf(root), markerOf(root)].sort(),
    )

    const status = await hyops(['init', 'status', '--root', root])
    assert.equal(status.code, 0, status.stderr)
    // One line per target; a line wrapped to the width goes on indented.
    const lines = status.stdout
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith(' '))
    assert.equal(lines.length, 2, status.stdout)
    assert.match(lines[0], new RegExp(`^hetzner: ready \\(run_id=${marker.run_id},`))
    assert.match(lines[1], /^proxmox: ready \(run_id=init-proxmox-/)
  })

  it('writes a template and exits 10 when the config is missing, with remediation on stdout', async () => {
    const root = await tempDir('hyops-root-')
    const run = await hyops(['init', 'hetzner', '--root', root, '--non-interactive'], {HCLOUD_TOKEN: GOOD})
    assert.equal(run.code, 10, run.stderr)
    assert.doesNotMatch(run.stdout + run.stderr, /Error:/, 'the planned stop is not reported as an error')
    const template = await readFile(join(root, 'config', 'hetzner.conf'), 'utf8')
    assert.match(template, /^HCLOUD_API = https:\/\/api\.hetzner\.cloud$/m)
    assert.doesNotMatch(template, /^HCLOUD_TOKEN/m)
    assert.match(run.stdout, /hetzner\.conf/)
    assert.match(run.stdout, /hyops init hetzner/)
    assert.equal(await exists(credentialsOf(root)), false)
    assert.equal(await exists(markerOf(root)), false)

    const edited = template + '# edited by the operator\n'
    await writeFile(join(root, 'config', 'hetzner.conf'), edited)
    const again = await hyops([
      'init',
      'hetzner',
      '--root',
      root,
      '--non-interactive',
      '--force',
      '--config',
      join(root, 'config', 'hetzner.conf'),
    ])
    assert.equal(again.code, 21, 'an existing config is read, never replaced by the template: ' + again.stderr)
    assert.equal(await readFile(join(root, 'config', 'hetzner.conf'), 'utf8'), edited)
  })

  it('exits 21 with guidance when --non-interactive has no token, and writes nothing', async () => {
    const root = await rootForSim(sim.url)
    const before = sim.requests.length
    const run = await hyops(['init', 'hetzner', '--root', root, '--non-interactive'])
    assert.equal(run.code, 21, run.stderr)
    assert.match(run.stderr, /no Hetzner API token.*HCLOUD_TOKEN/)
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
    assert.equal(sim.requests.length, before, 'no API call without a token')
    assert.deepEqual(await readdir(join(root, 'credentials')), [])
    assert.equal(await exists(markerOf(root)), false)
  })

  it('exits 20 on a token the API rejects, and writes nothing (no credentials, marker or vault)', async () => {
    const root = await rootForSim(sim.url)
    const passwordFile = join(root, 'vault-pass')
    await writeFile(passwordFile, 'pw\n')
    for (const [args, env] of [
      [[], {HCLOUD_TOKEN: BAD}],
      [['--token', BAD, '--vault-password-file', passwordFile], {}],
    ] as const) {
      const run = await hyops(['init', 'hetzner', '--root', root, '--non-interactive', ...args], env)
      assert.equal(run.code, 20, run.stderr)
      assert.ok(run.stderr.includes(`${sim.url}/v1/servers`), 'names the URL')
      assert.match(run.stderr, /rejected the token/)
      await assertNoSecret(root, run, BAD)
    }

    assert.deepEqual(await readdir(join(root, 'credentials')), [])
    assert.deepEqual(await readdir(join(root, 'vault')), [])
    assert.equal(await exists(markerOf(root)), false)
  })

  it('exits 20 naming the URL when the API is unreachable or not trusted', async () => {
    const port = await closedPort()
    const down = await rootForSim(`https://127.0.0.1:${port}`)
    const run = await hyops(['init', 'hetzner', '--root', down, '--non-interactive'], {HCLOUD_TOKEN: GOOD})
    assert.equal(run.code, 20, run.stderr)
    assert.ok(run.stderr.includes(`cannot reach the Hetzner API at https://127.0.0.1:${port}/v1/servers`), run.stderr)
    assert.match(run.stderr, /ECONNREFUSED/)

    const untrusted = await rootForSim(sim.url)
    await writeFile(
      join(untrusted, 'config', 'hetzner.conf'),
      `HCLOUD_API=${sim.url}\nHCLOUD_CA_FILE=${OTHER_CA_FILE}\n`,
    )
    const tls = await hyops(['init', 'hetzner', '--root', untrusted, '--non-interactive'], {HCLOUD_TOKEN: GOOD})
    assert.equal(tls.code, 20, tls.stderr)
    assert.match(tls.stderr, /TLS verification failed for https:\/\/127\.0\.0\.1:\d+\/v1\/servers/)
    assert.match(tls.stderr, /HCLOUD_CA_FILE/)
    for (const root of [down, untrusted]) assert.equal(await exists(credentialsOf(root)), false)
  })

  it('replaces an existing credentials file only with --force', async () => {
    const root = await rootForSim(sim.url)
    const first = await hyops(['init', 'hetzner', '--root', root, '--non-interactive'], {HCLOUD_TOKEN: GOOD})
    assert.equal(first.code, 0, first.stderr)
    const firstMarker = await readFile(markerOf(root), 'utf8')

    const same = await hyops(['init', 'hetzner', '--root', root, '--non-interactive'], {HCLOUD_TOKEN: GOOD})
    assert.equal(same.code, 0, 'the same token again is not a conflict: ' + same.stderr)
    assert.match(same.stdout, /\(unchanged\)/)

    const refused = await hyops(['init', 'hetzner', '--root', root, '--non-interactive'], {HCLOUD_TOKEN: OTHER_GOOD})
    assert.equal(refused.code, 30, refused.stderr)
    assert.match(refused.stderr, /exists and holds other credentials.*--force/)
    assert.equal(await readFile(credentialsOf(root), 'utf8'), `hcloud_token = "${GOOD}"\n`, 'left as it was')
    assert.notEqual(
      await readFile(markerOf(root), 'utf8'),
      firstMarker,
      'the second (successful) run rewrote the marker',
    )
    const markerBefore = await readFile(markerOf(root), 'utf8')

    const forced = await hyops(['init', 'hetzner', '--root', root, '--non-interactive', '--force'], {
      HCLOUD_TOKEN: OTHER_GOOD,
    })
    assert.equal(forced.code, 0, forced.stderr)
    assert.equal(await readFile(credentialsOf(root), 'utf8'), `hcloud_token = "${OTHER_GOOD}"\n`)
    assert.equal(await mode(credentialsOf(root)), 0o600)
    assert.notEqual(await readFile(markerOf(root), 'utf8'), markerBefore)
    assert.equal(JSON.parse(await readFile(markerOf(root), 'utf8')).status, 'ready')
    await assertNoSecret(root, forced, GOOD, OTHER_GOOD)
  })

  it('saves a flag-given token to the vault after validation, and reads it from there next time', async () => {
    const root = await rootForSim(sim.url)
    const passwordFile = join(root, 'vault-pass')
    await writeFile(passwordFile, 'correct horse\n', {mode: 0o600})
    const run = await hyops([
      'init',
      'hetzner',
      '--root',
      root,
      '--non-interactive',
      '--token',
      GOOD,
      '--vault-password-file',
      passwordFile,
    ])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /--token puts the token into the process arguments/)
    assert.match(run.stdout, /vault: HCLOUD_TOKEN saved/)
    const vaultFile = join(root, 'vault', 'bootstrap.vault.env')
    assert.match(await readFile(vaultFile, 'utf8'), /^\$ANSIBLE_VAULT;1\.1;AES256/)
    assert.equal(await mode(vaultFile), 0o600)
    assert.equal(JSON.parse(await readFile(markerOf(root), 'utf8')).vault_saved, true)

    const get = await hyops([
      'vault',
      'get',
      'HCLOUD_TOKEN',
      '--root',
      root,
      '--vault-password-file',
      passwordFile,
      '--non-interactive',
    ])
    assert.equal(get.code, 0, get.stderr)
    assert.equal(get.stdout, GOOD)

    const again = await hyops(['init', 'hetzner', '--root', root, '--non-interactive', '--json'], {
      HYOPS_VAULT_PASSWORD_FILE: passwordFile,
    })
    assert.equal(again.code, 0, again.stderr)
    const result = JSON.parse(again.stdout)
    assert.equal(result.status, 'ready')
    assert.equal(result.token_source, 'vault')
    assert.equal(result.vault, 'not-needed')
    await assertNoSecret(root, again, GOOD)
  })

  it('keeps going without the vault when no vault password source exists, and says so', async () => {
    const root = await rootForSim(sim.url)
    const run = await hyops(['init', 'hetzner', '--root', root, '--non-interactive', '--token', GOOD])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /not saved to the vault: no vault password source/)
    assert.deepEqual(await readdir(join(root, 'vault')), [])
    const marker = JSON.parse(await readFile(markerOf(root), 'utf8'))
    assert.equal(marker.status, 'ready')
    assert.equal(marker.vault_saved, false)
  })

  it('writes nothing with --dry-run', async () => {
    const root = await rootForSim(sim.url)
    const passwordFile = join(root, 'vault-pass')
    await writeFile(passwordFile, 'pw\n')
    const run = await hyops([
      'init',
      'hetzner',
      '--root',
      root,
      '--non-interactive',
      '--dry-run',
      '--token',
      GOOD,
      '--vault-password-file',
      passwordFile,
    ])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /Would create .*hetzner\.credentials\.tfvars/)
    assert.deepEqual(await readdir(join(root, 'credentials')), [])
    assert.deepEqual(await readdir(join(root, 'vault')), [])
    assert.equal(await exists(markerOf(root)), false)
  })
})
