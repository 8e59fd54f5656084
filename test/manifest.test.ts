import {Plugin} from '@oclif/core/config'
import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {PROJECT_ROOT} from './helpers/cli.js'

describe('oclif.manifest.json', () => {
  it('is in step with the built commands (regenerate with npm run manifest)', async () => {
    const plugin = new Plugin({errorOnManifestCreate: true, ignoreManifest: true, root: PROJECT_ROOT, type: 'core'})
    await plugin.load()
    const committed = JSON.parse(await readFile(join(PROJECT_ROOT, 'oclif.manifest.json'), 'utf8'))
    const fresh = JSON.parse(JSON.stringify(plugin.manifest))
    assert.deepEqual(
      Object.keys(committed.commands).sort(),
      Object.keys(fresh.commands).sort(),
      'command ids differ: run npm run manifest',
    )
    assert.deepEqual(committed, fresh, 'flags, descriptions or examples differ: run npm run manifest')
  })
})
