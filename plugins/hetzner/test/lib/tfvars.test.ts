import assert from 'node:assert/strict'
import {chmod, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {hclString} from 'hyops'

import {planHetznerTfvars, renderHetznerTfvars, writeHetznerTfvars} from '../../src/lib/tfvars.js'
import {cleanupTempDirs, tempDir} from '../helpers/hyops-cli.js'

after(cleanupTempDirs)

describe('hetzner credentials tfvars', () => {
  it('renders one HCL variable with the value escaped', () => {
    assert.equal(renderHetznerTfvars('abc123'), 'hcloud_token = "abc123"\n')
    assert.equal(hclString('a"b\\c\nd\re\tf${x}%{y}'), '"a\\"b\\\\c\\nd\\re\\tf$${x}%%{y}"')
  })

  it('plans create, unchanged, replace and refuse from what is on disk', async () => {
    const dir = await tempDir()
    const path = join(dir, 'hetzner.credentials.tfvars')
    const content = renderHetznerTfvars('one')
    assert.equal(await planHetznerTfvars(path, content, false), 'create')
    await writeHetznerTfvars(path, content)
    assert.equal(await planHetznerTfvars(path, content, false), 'unchanged')
    assert.equal(await planHetznerTfvars(path, renderHetznerTfvars('two'), false), 'refuse')
    assert.equal(await planHetznerTfvars(path, renderHetznerTfvars('two'), true), 'replace')
    await chmod(path, 0o644)
    assert.equal(
      await planHetznerTfvars(path, content, false),
      'replace',
      'same content with a wider mode is rewritten to 0600',
    )
  })

  it('writes with mode 0600 and creates a missing parent directory 0700', async () => {
    const dir = await tempDir()
    const path = join(dir, 'deeper', 'h.tfvars')
    await writeHetznerTfvars(path, 'x\n')
    assert.equal(await readFile(path, 'utf8'), 'x\n')
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    assert.equal((await stat(join(dir, 'deeper'))).mode & 0o777, 0o700)
    await writeFile(path, 'old', {mode: 0o644})
    await writeHetznerTfvars(path, 'new\n')
    assert.equal((await stat(path)).mode & 0o777, 0o600)
  })
})
