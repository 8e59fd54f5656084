import assert from 'node:assert/strict'
import {mkdir, readdir, readFile, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {pathToFileURL} from 'node:url'

import * as sdk from '../../../src/lib/index.js'
import {SHIM_MARKER, writeSdkShim} from '../../../src/lib/plugins/sdk-shim.js'
import {cleanupTempDirs, PROJECT_ROOT, tempDir} from '../../helpers/cli.js'

after(cleanupTempDirs)

describe('the hyops package a plugin install finds in the data directory', () => {
  it('is two files re-exporting the running CLI: its version, its dist/lib/index.js', async () => {
    const dataDir = await tempDir('hyops-data-')
    const dir = await writeSdkShim({coreRoot: PROJECT_ROOT, coreVersion: '0.1.0', dataDir})
    assert.equal(dir, join(dataDir, 'node_modules', 'hyops'))
    assert.deepEqual((await readdir(dir)).sort(), ['index.js', 'package.json'])
    const pjson = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
    assert.equal(pjson.name, 'hyops')
    assert.equal(pjson.version, '0.1.0')
    assert.equal(pjson.type, 'module')
    const entry = pathToFileURL(join(PROJECT_ROOT, 'dist', 'lib', 'index.js')).href
    assert.equal(pjson[SHIM_MARKER], entry)
    assert.equal(await readFile(join(dir, 'index.js'), 'utf8'), `export * from ${JSON.stringify(entry)}\n`)
    const loaded = (await import(pathToFileURL(join(dir, 'index.js')).href)) as Record<string, unknown>
    assert.ok(typeof loaded.InitCommand === 'function' && typeof loaded.HyopsError === 'function')
    assert.deepEqual(Object.keys(loaded).sort(), Object.keys(sdk).sort(), 'the whole SDK, nothing else')
  })

  it('drops a package-lock.json that does not know it, and leaves one alone once it is in place', async () => {
    const dataDir = await tempDir('hyops-data-')
    const lockfile = join(dataDir, 'package-lock.json')
    await writeFile(lockfile, '{"name": "hyops", "lockfileVersion": 3, "packages": {"": {"name": "hyops"}}}')
    await writeSdkShim({coreRoot: PROJECT_ROOT, coreVersion: '0.1.0', dataDir})
    await assert.rejects(readFile(lockfile), 'npm must read node_modules, where the package now is')
    await writeFile(lockfile, '{"written": "by npm after it saw the package"}')
    await writeSdkShim({coreRoot: PROJECT_ROOT, coreVersion: '0.1.0', dataDir})
    assert.equal(await readFile(lockfile, 'utf8'), '{"written": "by npm after it saw the package"}')
  })

  it('replaces a full copy of hyops or a link there, and refreshes the version', async () => {
    const dataDir = await tempDir('hyops-data-')
    const copy = join(dataDir, 'node_modules', 'hyops')
    await mkdir(join(copy, 'dist'), {recursive: true})
    await writeFile(join(copy, 'package.json'), '{"name": "hyops", "version": "0.0.9"}')
    await writeSdkShim({coreRoot: PROJECT_ROOT, coreVersion: '0.1.0', dataDir})
    assert.deepEqual((await readdir(copy)).sort(), ['index.js', 'package.json'])

    const target = await tempDir('hyops-link-target-')
    await writeFile(join(target, 'keep.txt'), 'kept')
    const linked = await tempDir('hyops-data-')
    await mkdir(join(linked, 'node_modules'))
    await symlink(target, join(linked, 'node_modules', 'hyops'))
    await writeSdkShim({coreRoot: PROJECT_ROOT, coreVersion: '0.2.0', dataDir: linked})
    assert.equal(await readFile(join(target, 'keep.txt'), 'utf8'), 'kept', 'the link target is untouched')
    const pjson = JSON.parse(await readFile(join(linked, 'node_modules', 'hyops', 'package.json'), 'utf8'))
    assert.equal(pjson.version, '0.2.0')
  })
})
