import assert from 'node:assert/strict'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {localPathOf, useLocalPath, type PluginSource} from '../../../src/lib/plugins/local-source.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'

let cwd: string

before(async () => {
  cwd = await tempDir('hyops-local-source-')
  await writeFile(join(cwd, 'plugin-1.0.0.tgz'), 'x')
  await mkdir(join(cwd, 'dir'))
  await writeFile(join(cwd, 'dir', 'p.tgz'), 'x')
  await mkdir(join(cwd, 'hetzner'))
  await mkdir(join(cwd, 'dir', 'hetzner'))
})

after(cleanupTempDirs)

// What @oclif/plugin-plugins makes of each argument before its preinstall hook runs.
const github = (rest: string): PluginSource => ({type: 'repo', url: `https://github.com/${rest}`})
const npm = (name: string, tag = 'latest'): PluginSource => ({name, tag, type: 'npm'})

describe('local plugin paths for hyops plugins install', () => {
  it('finds ./x.tgz, dir/x.tgz, an absolute path, ../, file:x and a bare x.tgz that exist', async () => {
    assert.equal(await localPathOf(github('./plugin-1.0.0.tgz'), cwd), join(cwd, 'plugin-1.0.0.tgz'))
    assert.equal(await localPathOf(github('dir/p.tgz'), cwd), join(cwd, 'dir', 'p.tgz'))
    assert.equal(await localPathOf(github(join(cwd, 'dir', 'p.tgz')), cwd), join(cwd, 'dir', 'p.tgz'))
    assert.equal(await localPathOf(github('../dir'), join(cwd, 'hetzner')), join(cwd, 'dir'))
    assert.equal(await localPathOf({type: 'repo', url: 'file:dir/p.tgz'}, cwd), join(cwd, 'dir', 'p.tgz'))
    assert.equal(await localPathOf(npm('plugin-1.0.0.tgz'), cwd), join(cwd, 'plugin-1.0.0.tgz'))
  })

  it('leaves registry names, owner/repo shorthands, git URLs and missing files alone', async () => {
    assert.equal(await localPathOf(npm('hetzner'), cwd), undefined, 'a folder named like a plugin is no path')
    assert.equal(await localPathOf(npm('@hyops/plugin-hetzner'), cwd), undefined)
    assert.equal(await localPathOf(npm('plugin-1.0.0.tgz', '2.0.0'), cwd), undefined)
    assert.equal(
      await localPathOf(github('dir/hetzner'), cwd),
      undefined,
      'owner/repo, even where such a folder exists',
    )
    assert.equal(await localPathOf(github('./missing.tgz'), cwd), undefined)
    assert.equal(await localPathOf({type: 'repo', url: 'git+ssh://git@example.com/x.git'}, cwd), undefined)
  })

  it('rewrites the parsed argument in place to an absolute file: URL', async () => {
    const source = npm('plugin-1.0.0.tgz')
    assert.equal(await useLocalPath(source, cwd), join(cwd, 'plugin-1.0.0.tgz'))
    assert.deepEqual(source, {type: 'repo', url: `file:${join(cwd, 'plugin-1.0.0.tgz')}`})
    const registry = npm('@hyops/plugin-hetzner')
    assert.equal(await useLocalPath(registry, cwd), undefined)
    assert.deepEqual(registry, npm('@hyops/plugin-hetzner'))
  })
})
