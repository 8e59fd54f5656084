import {Config, type Command} from '@oclif/core'
import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {collectInitTargets, initTargetsOf} from '../../../src/lib/hooks/init-targets.js'
import {cleanupTempDirs, PROJECT_ROOT, runCli, tempDir} from '../../helpers/cli.js'

after(cleanupTempDirs)

const loadable = (id: string, extra: Record<string, unknown> = {}) =>
  ({id, summary: `summary of ${id}`, ...extra}) as unknown as Command.Loadable

describe('hyops:init-targets', () => {
  it('takes the targets from the commands that declare a static target, sorted', () => {
    const targets = initTargetsOf([
      loadable('init status'),
      loadable('init zeta', {target: 'zeta'}),
      loadable('vault get'),
      loadable('init alpha', {summary: undefined, description: 'first line\nmore', target: 'alpha'}),
    ])
    assert.deepEqual(targets, [
      {summary: 'first line', target: 'alpha'},
      {summary: 'summary of init zeta', target: 'zeta'},
    ])
  })

  it("lists the core's init targets (proxmox) from its commands, never init status, with no hook file", async () => {
    const config = await Config.load({root: PROJECT_ROOT, userPlugins: false})
    const {targets, failures} = await collectInitTargets(config)
    assert.deepEqual(failures, [])
    const names = targets.map((info) => info.target)
    assert.ok(names.includes('proxmox'), JSON.stringify(targets))
    assert.ok(!names.includes('status'))
    // Command ids are colon-separated inside oclif, whatever the topic separator shown.
    const coreInitCommands = config.commands
      .filter((c) => c.pluginName === 'hyops' && c.id.startsWith('init:') && c.id !== 'init:status')
      .map((c) => c.id.slice('init:'.length))
    assert.deepEqual(names, coreInitCommands.sort())
    const pjson = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8'))
    assert.equal(pjson.oclif.hooks['hyops:init-targets'], undefined, 'the core registers no hook for its targets')
  })

  it('still takes the answers of a plugin that registers hyops:init-targets', async () => {
    const config = await Config.load({root: PROJECT_ROOT, userPlugins: false})
    const runHook = config.runHook.bind(config)
    const fake = {error: new Error('boom'), plugin: {name: 'broken'}}
    config.runHook = (async (event: string, options: object) =>
      event === 'hyops:init-targets'
        ? {failures: [fake], successes: [{plugin: {name: 'old-style'}, result: [{summary: 'Old', target: 'legacy'}]}]}
        : runHook(event as never, options as never)) as typeof config.runHook
    const {targets, failures} = await collectInitTargets(config)
    assert.deepEqual(failures, ['broken: boom'])
    assert.deepEqual(
      targets.map((info) => info.target),
      ['legacy', 'proxmox'],
    )
  })

  it('collects the targets of every plugin: the linked hetzner plugin is found from its init command', async () => {
    const home = await tempDir('hyops-home-')
    const link = await runCli(['plugins', 'link', join(PROJECT_ROOT, 'plugins', 'hetzner'), '--no-install'], {
      env: {HOME: home},
    })
    assert.equal(link.code, 0, link.stderr)
    const saved = process.env.XDG_DATA_HOME
    process.env.XDG_DATA_HOME = join(home, '.local', 'share')
    try {
      const config = await Config.load({root: PROJECT_ROOT})
      const {targets, failures} = await collectInitTargets(config)
      assert.deepEqual(failures, [])
      const names = targets.map((info) => info.target)
      assert.ok(names.includes('hetzner'), JSON.stringify(targets))
      assert.match(targets.find((info) => info.target === 'hetzner')?.summary ?? '', /Hetzner/)
      assert.deepEqual(names, [...new Set(names)].sort(), 'one entry per target, sorted')
      assert.ok(names.includes('proxmox'), JSON.stringify(targets))
      const plugin = JSON.parse(await readFile(join(PROJECT_ROOT, 'plugins', 'hetzner', 'package.json'), 'utf8'))
      assert.equal(plugin.oclif.hooks['hyops:init-targets'], undefined, 'found from its command, not a hook')
    } finally {
      if (saved === undefined) delete process.env.XDG_DATA_HOME
      else process.env.XDG_DATA_HOME = saved
    }
  })
})
