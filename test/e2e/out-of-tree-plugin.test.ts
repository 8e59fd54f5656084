// A provider plugin written outside this repository by following docs/plugin-authors.md ("A plugin outside
// this repository"): its files are that section's code blocks, written to a temporary folder outside the
// checkout; the core's packed tarball is its dev dependency; it builds with declaration: true, packs, installs
// with `hyops plugins install <tarball>` into a hyops installed from the same tarball, and runs.
import assert from 'node:assert/strict'
import {copyFile, mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {dirname, join, relative} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {cleanupTempDirs, PROJECT_ROOT, tempDir} from '../helpers/cli.js'
import {freshMachine, pack, run, runOk, type Machine, type Run} from '../helpers/packed.js'
import {requireTool} from '../helpers/tools.js'

const SECTION = '## A plugin outside this repository'

let machine: Machine
let pluginDir: string
let pluginTarball: string

/** The section's code blocks that name a file after their language (```json package.json). */
async function documentedFiles(): Promise<Map<string, string>> {
  const doc = await readFile(join(PROJECT_ROOT, 'docs', 'plugin-authors.md'), 'utf8')
  const start = doc.indexOf(SECTION)
  assert.notEqual(start, -1, `docs/plugin-authors.md has the section "${SECTION}"`)
  const end = doc.indexOf('\n## ', start + SECTION.length)
  const section = doc.slice(start, end === -1 ? undefined : end)
  const files = new Map<string, string>()
  for (const match of section.matchAll(/^```\w+ (\S+)\n([\s\S]*?)^```$/gm)) files.set(match[1], match[2])
  return files
}

before(async () => {
  requireTool('npm', 'npm')
  machine = await freshMachine()
  const offline = {...machine.env, npm_config_prefer_offline: 'true'}
  const version = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')).version as string
  const coreTarball = await pack(PROJECT_ROOT, machine.env, true)
  pluginDir = await tempDir('hyops-plugin-hello-')
  const files = await documentedFiles()
  assert.deepEqual([...files.keys()].sort(), ['package.json', 'src/commands/init/hello.ts', 'tsconfig.json'])
  for (const [path, text] of files) {
    await mkdir(dirname(join(pluginDir, path)), {recursive: true})
    await writeFile(join(pluginDir, path), text)
  }

  await mkdir(join(pluginDir, 'vendor'))
  await copyFile(coreTarball, join(pluginDir, 'vendor', `hyops-${version}.tgz`))
  // The CLI for users and the plugin's own install at the same time: both mostly read npm's cache.
  await Promise.all([
    runOk('npm', ['install', '-g', '--prefix', machine.prefix, coreTarball], {env: offline}),
    runOk('npm', ['install', '--ignore-scripts'], {cwd: pluginDir, env: offline}),
  ])
  await runOk(join(pluginDir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], {cwd: pluginDir, env: offline})
  pluginTarball = await pack(pluginDir, machine.env)
})

after(cleanupTempDirs)

const hyops = (args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Run> =>
  run(machine.hyops, args, {cwd: cwd ?? machine.home, env: {...machine.env, ...env}})

describe('a plugin built outside the repository from docs/plugin-authors.md', () => {
  it('lives outside the checkout and builds its declarations through hyops, not @oclif/core paths', async () => {
    assert.ok(relative(PROJECT_ROOT, pluginDir).startsWith('..'), `${pluginDir} is outside ${PROJECT_ROOT}`)
    const declaration = await readFile(join(pluginDir, 'dist', 'commands', 'init', 'hello.d.ts'), 'utf8')
    assert.match(declaration, /wave: import\("hyops"\)\.BooleanFlag<boolean>/)
    assert.doesNotMatch(declaration, /@oclif\/core/)
    // No npm link: the global folder holds the installed CLI only.
    assert.deepEqual(await readdir(join(machine.prefix, 'lib', 'node_modules')), ['hyops'])
    const listing = await runOk('tar', ['-tzf', pluginTarball], {env: machine.env})
    assert.match(listing.stdout, /^package\/dist\/commands\/init\/hello\.js$/m)
    assert.doesNotMatch(listing.stdout, /vendor|node_modules/, 'the tarball carries no copy of hyops')
  })

  it('installs with hyops plugins install <tarball>, runs: template, flags, env, exit 11, marker, status', async () => {
    const offline = {npm_config_offline: 'true', npm_config_registry: 'http://127.0.0.1:9/'}
    const install = await hyops(['plugins', 'install', pluginTarball], offline)
    assert.equal(install.code, 0, install.stdout + install.stderr)

    const help = await hyops(['init', 'hello', '--help'])
    assert.equal(help.code, 0, help.stderr)
    assert.match(
      help.stdout,
      /--name=<value>\s+Who is greeted \[config HELLO_NAME,\s+env\s+HYOPS_HELLO_NAME,\s+default\s+world\]/,
    )

    const root = await tempDir('hyops-hello-root-')
    const conf = join(root, 'config', 'hello.conf')
    const first = await hyops(['init', 'hello', '--root', root, '--non-interactive'])
    assert.equal(first.code, 10, first.stdout + first.stderr)
    assert.match(await readFile(conf, 'utf8'), /^\[hello\]\n# Who is greeted\.\nHELLO_NAME = world\n/m)
    assert.equal((await stat(conf)).mode & 0o777, 0o600)

    const flag = await hyops(['init', 'hello', '--root', root, '--name', 'Ada', '--json'], {HYOPS_HELLO_NAME: 'Bob'})
    assert.equal(flag.code, 0, flag.stdout + flag.stderr)
    const result = JSON.parse(flag.stdout) as {greeting: string; name_source: string; marker: string}
    assert.deepEqual([result.greeting, result.name_source], ['hello Ada', 'flag'])
    const env = await hyops(['init', 'hello', '--root', root, '--wave'], {HYOPS_HELLO_NAME: 'Bob'})
    assert.equal(env.code, 0, env.stderr)
    assert.match(env.stdout, /^hello Bob \(waves\)$/m)

    const marker = JSON.parse(await readFile(join(root, 'meta', 'hello.ready.json'), 'utf8'))
    assert.equal(marker.status, 'ready')
    assert.equal(marker.target, 'hello')
    assert.equal(marker.greeting, 'hello Bob (waves)')
    assert.equal(marker.paths.config, conf)
    assert.match(marker.run_id, /^init-hello-/)

    await writeFile(conf, '[hello]\nHELLO_NAME = Cy\nHELLO_LOUD = maybe\n')
    const bad = await hyops(['init', 'hello', '--root', root])
    assert.equal(bad.code, 11, bad.stdout + bad.stderr)
    assert.match(
      bad.stderr,
      /^Error: HELLO_LOUD "maybe" \(\S+hello\.conf line 3\) is not a boolean \(use true, false, yes, no, 1 or 0\)$/m,
    )

    const status = await hyops(['init', 'status', '--root', root])
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stdout, /^hello: ready/m)
  })
})
