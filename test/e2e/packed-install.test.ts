// The CLI as users get it: npm pack, npm install -g into a fresh prefix, then the commands a
// new user types; then a provider plugin from an npm registry (a local verdaccio holding the
// core and the Hetzner plugin) and from a local tarball, run end to end against the Hetzner
// simulation, and uninstalled. Everything a user would keep (HOME, XDG dirs, the global prefix)
// is in temporary directories.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {readdir, readFile, stat} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startHcloudSim, type HcloudSim} from '../../plugins/hetzner/test/helpers/hcloud-sim.js'
import {filesUnder, rootForSim} from '../../plugins/hetzner/test/helpers/runtime-root.js'
import {cleanupTempDirs, PROJECT_ROOT, tempDir} from '../helpers/cli.js'
import {freshMachine, pack, run, runOk, type Machine, type Run} from '../helpers/packed.js'
import {publishOptions, startRegistry, type LocalRegistry} from '../helpers/registry.js'
import {requireTool} from '../helpers/tools.js'

const PLUGIN = '@hyops/plugin-hetzner'
const TOKEN = randomBytes(32).toString('hex')

let machine: Machine
let coreTarball: string

before(async () => {
  requireTool('npm', 'npm')
  requireTool('tar', 'tar')
  machine = await freshMachine()
  coreTarball = await pack(PROJECT_ROOT, machine.env, true)
  await runOk('npm', ['install', '-g', '--prefix', machine.prefix, coreTarball], {
    env: {...machine.env, npm_config_prefer_offline: 'true'},
  })
})

after(cleanupTempDirs)

const hyops = (args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Run> =>
  run(machine.hyops, args, {cwd: cwd ?? machine.home, env: {...machine.env, ...env}})

describe('the packed CLI, installed with npm install -g', () => {
  it('ships only what runs: bin/run.js, dist, the manifest; no dev entry point, sources or tests', async () => {
    const listing = await runOk('tar', ['-tzf', coreTarball], {env: machine.env})
    const files = listing.stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(/^package\//, ''))
    assert.ok(files.includes('bin/run.js') && files.includes('oclif.manifest.json') && files.includes('package.json'))
    assert.ok(files.includes('dist/lib/index.js') && files.includes('dist/lib/index.d.ts'), 'the SDK and its types')
    const strays = files.filter(
      (file) =>
        !['README.md', 'LICENSE', 'package.json', 'oclif.manifest.json', 'bin/run.js'].includes(file) &&
        !file.startsWith('dist/'),
    )
    assert.deepEqual(strays, [])
    assert.deepEqual(
      files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')),
      [],
      'no TypeScript sources',
    )
  })

  it('hyops --help and -h list the commands with spaces, the conventions included', async () => {
    const help = await hyops(['--help'])
    assert.equal(help.code, 0, help.stderr)
    for (const topic of ['init', 'vault', 'plugins', 'autocomplete'])
      assert.match(help.stdout, new RegExp(`^ {2}${topic}\\b`, 'm'))
    const short = await hyops(['-h'])
    assert.equal(short.code, 0, short.stderr)
    assert.equal(short.stdout, help.stdout)
    const init = await hyops(['init', '-h'])
    assert.equal(init.code, 0, init.stderr)
    assert.match(init.stdout, /^ {2}init proxmox /m)
    assert.doesNotMatch(init.stdout, /init:proxmox/)
  })

  it('hyops autocomplete bash prints the setup and builds the completion cache', async () => {
    const setup = await hyops(['autocomplete', 'bash'])
    assert.equal(setup.code, 0, setup.stderr)
    assert.match(setup.stdout, /bashrc/)
    const script = await hyops(['autocomplete', 'script', 'bash'])
    assert.equal(script.code, 0, script.stderr)
    const cache = join(machine.env.XDG_CACHE_HOME, 'hyops', 'autocomplete')
    assert.ok((await readdir(cache)).length > 0, `a completion cache under ${cache}`)
    const functions = await readFile(join(cache, 'functions', 'bash', 'hyops.bash'), 'utf8').catch(() => '')
    assert.match(functions + script.stdout, /init/)
  })

  it('hyops init proxmx suggests init proxmox and exits 2 (an unknown command is a usage error)', async () => {
    const typo = await hyops(['init', 'proxmx'])
    assert.equal(typo.code, 2, typo.stderr)
    assert.match(typo.stderr, /Did you mean init proxmox\?/)
    assert.doesNotMatch(typo.stderr, /init:proxmx/)
  })
})

describe('a provider plugin, installed with hyops plugins install', () => {
  let registry: LocalRegistry
  let sim: HcloudSim
  let pluginTarball: string

  before(async () => {
    ;[registry, sim, pluginTarball] = await Promise.all([
      tempDir('hyops-registry-').then((dir) => startRegistry(dir)),
      startHcloudSim([TOKEN]),
      pack(join(PROJECT_ROOT, 'plugins', 'hetzner'), machine.env),
    ])
    for (const tarball of [coreTarball, pluginTarball]) {
      await runOk('npm', ['publish', tarball, ...publishOptions(registry)], {env: machine.env})
    }
  })

  after(async () => {
    await Promise.all([registry?.close(), sim?.close()])
  })

  it('the plugin tarball holds the oclif.manifest.json its files list, built before packing', async () => {
    const listing = await runOk('tar', ['-tzf', pluginTarball], {env: machine.env})
    assert.match(listing.stdout, /^package\/oclif\.manifest\.json$/m)
    const manifest = await runOk('tar', ['-xzOf', pluginTarball, 'package/oclif.manifest.json'], {env: machine.env})
    assert.ok(JSON.parse(manifest.stdout).commands['init:hetzner'], 'the manifest lists init hetzner')
    await assert.rejects(stat(join(PROJECT_ROOT, 'plugins', 'hetzner', 'oclif.manifest.json')), 'removed after packing')
  })

  it('from the registry: installs once (no second hyops or @oclif/core), runs init hetzner, uninstalls', async () => {
    const viaRegistry = {npm_config_registry: registry.url}
    const install = await hyops(['plugins', 'install', PLUGIN], viaRegistry)
    assert.equal(install.code, 0, install.stdout + install.stderr)
    await assertOneSharedCore(machine.dataDir)
    const listed = await hyops(['plugins'])
    assert.match(listed.stdout, /^hetzner 0\.1\.0$/m, 'listed by its short name (oclif.scope)')

    await initHetznerEndToEnd()

    const uninstall = await hyops(['plugins', 'uninstall', PLUGIN], viaRegistry)
    assert.equal(uninstall.code, 0, uninstall.stdout + uninstall.stderr)
    const gone = await hyops(['init', 'hetzner', '--non-interactive'])
    assert.equal(gone.code, 2, 'init hetzner is no command any more')
    await assert.rejects(stat(join(machine.dataDir, 'node_modules', '@hyops', 'plugin-hetzner')))
  })

  it('from a local tarball, with no registry reachable (npm offline)', async () => {
    const offline = {npm_config_offline: 'true', npm_config_registry: 'http://127.0.0.1:9/'}
    const cwd = dirname(pluginTarball)
    const install = await hyops(['plugins', 'install', `./${basename(pluginTarball)}`], offline, cwd)
    assert.equal(install.code, 0, install.stdout + install.stderr)
    await assertOneSharedCore(machine.dataDir)
    await initHetznerEndToEnd()
    const uninstall = await hyops(['plugins', 'uninstall', PLUGIN], offline)
    assert.equal(uninstall.code, 0, uninstall.stdout + uninstall.stderr)
    const listed = await hyops(['plugins'])
    assert.doesNotMatch(listed.stdout, /plugin-hetzner/)
  })

  /** `hyops init hetzner` against the simulation: credentials 0600, a ready marker, no token anywhere. */
  async function initHetznerEndToEnd(): Promise<void> {
    const root = await rootForSim(sim.url)
    const init = await hyops(['init', 'hetzner', '--root', root, '--non-interactive'], {HCLOUD_TOKEN: TOKEN})
    assert.equal(init.code, 0, init.stdout + init.stderr)
    const credentials = join(root, 'credentials', 'hetzner.credentials.tfvars')
    assert.equal(await readFile(credentials, 'utf8'), `hcloud_token = "${TOKEN}"\n`)
    assert.equal((await stat(credentials)).mode & 0o777, 0o600)
    const marker = JSON.parse(await readFile(join(root, 'meta', 'hetzner.ready.json'), 'utf8'))
    assert.equal(marker.status, 'ready')
    assert.ok(
      sim.requests.some((request) => request.authorization === `Bearer ${TOKEN}`),
      'the API was asked',
    )
    const status = await hyops(['init', 'status', '--root', root])
    assert.match(status.stdout, /^hetzner: ready/m)
    // The plugin's hyops:check-target hook proves the token live.
    const check = await hyops(['init', 'status', '--check', '--root', root])
    assert.equal(check.code, 0, check.stdout + check.stderr)
    assert.match(check.stdout, /^ {2}check: ok: token works against \S+\/v1\/servers/m)
    for (const text of [init.stdout, init.stderr, ...(await filesUnder(join(root, 'logs'))).map((f) => f.text)]) {
      assert.ok(!text.includes(TOKEN), 'no token in output or evidence')
    }
  }
})

/**
 * Under the plugins' node_modules there is exactly one package named hyops, the two-file one that
 * re-exports the installed CLI, and no @oclif/core at all: the plugin runs on the CLI's own copies.
 */
async function assertOneSharedCore(dataDir: string): Promise<void> {
  const modules = join(dataDir, 'node_modules')
  const names: string[] = []
  for (const entry of await readdir(modules, {recursive: true, withFileTypes: true})) {
    if (entry.name !== 'package.json') continue
    const pjson = JSON.parse(await readFile(join(entry.parentPath ?? entry.path, entry.name), 'utf8'))
    if (pjson.name === 'hyops' || pjson.name === '@oclif/core') names.push(pjson.name)
  }

  assert.deepEqual(names, ['hyops'], 'one hyops (the CLI itself) and no @oclif/core under the plugins')
  const shim = await readdir(join(modules, 'hyops'))
  assert.deepEqual(shim.sort(), ['index.js', 'package.json'])
  const entry = await readFile(join(modules, 'hyops', 'index.js'), 'utf8')
  assert.ok(entry.includes(join(machine.prefix, 'lib', 'node_modules', 'hyops', 'dist', 'lib', 'index.js')), entry)
}
