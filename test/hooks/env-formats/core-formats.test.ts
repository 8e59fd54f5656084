import {Config} from '@oclif/core'
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import hook from '../../../src/hooks/env-formats/core-formats.js'
import {collectEnvTargets} from '../../../src/lib/env/hook.js'
import {cleanupTempDirs, PROJECT_ROOT, runCli, tempDir} from '../../helpers/cli.js'

after(cleanupTempDirs)

describe('hyops:env-formats', () => {
  it("answers with the core's proxmox target and its five formats, tfvars by default", async () => {
    const config = await Config.load({root: PROJECT_ROOT, userPlugins: false})
    const answer = await hook.call({config} as never, {config, context: {}} as never)
    assert.deepEqual(
      answer.map((t) => t.target),
      ['proxmox'],
    )
    assert.deepEqual(
      answer[0].formats.map((f) => f.name),
      ['tfvars', 'bpg', 'telmate', 'packer', 'ansible'],
    )
    assert.equal(answer[0].defaultFormat, 'tfvars')
    for (const format of answer[0].formats) assert.ok(format.summary.length > 10, format.name)
  })

  it('collects the targets of every plugin: the linked hetzner plugin answers with hcloud and tfvars', async () => {
    const home = await tempDir('hyops-home-')
    const link = await runCli(['plugins', 'link', join(PROJECT_ROOT, 'plugins', 'hetzner'), '--no-install'], {
      env: {HOME: home},
    })
    assert.equal(link.code, 0, link.stderr)
    const saved = process.env.XDG_DATA_HOME
    process.env.XDG_DATA_HOME = join(home, '.local', 'share')
    try {
      const config = await Config.load({root: PROJECT_ROOT})
      const {targets, failures} = await collectEnvTargets(config)
      assert.deepEqual(failures, [])
      assert.deepEqual([...targets.keys()].sort(), ['hetzner', 'proxmox'])
      assert.deepEqual(
        targets.get('hetzner')?.formats.map((f) => f.name),
        ['hcloud', 'tfvars'],
      )
    } finally {
      if (saved === undefined) delete process.env.XDG_DATA_HOME
      else process.env.XDG_DATA_HOME = saved
    }
  })
})
