import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {splitEnableSnippets} from '../../../src/commands/init/proxmox.js'

describe('--enable-snippets and --snippets-storage', () => {
  it('reads STORAGE after --enable-snippets with = or a space, and leaves the rest alone', () => {
    assert.deepEqual(splitEnableSnippets(['--enable-snippets']), ['--enable-snippets'])
    assert.deepEqual(splitEnableSnippets(['--enable-snippets', '--json']), ['--enable-snippets', '--json'])
    assert.deepEqual(splitEnableSnippets(['--enable-snippets=']), ['--enable-snippets'])
    for (const argv of [['--enable-snippets=local'], ['--enable-snippets', 'local']])
      assert.deepEqual(splitEnableSnippets([...argv, '--json']), [
        '--enable-snippets',
        '--snippets-storage',
        'local',
        '--json',
      ])
    assert.deepEqual(splitEnableSnippets(['--snippets-storage', 'local']), ['--snippets-storage', 'local'])
    assert.deepEqual(splitEnableSnippets(['--', '--enable-snippets=x']), ['--', '--enable-snippets=x'])
  })
})
