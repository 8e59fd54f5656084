import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {closestId, editDistance} from '../../../src/lib/ux/did-you-mean.js'

describe('did you mean', () => {
  it('measures edit distance', () => {
    assert.equal(editDistance('init:proxmx', 'init:proxmox'), 1)
    assert.equal(editDistance('', 'abc'), 3)
    assert.equal(editDistance('kitten', 'sitting'), 3)
    assert.equal(editDistance('same', 'same'), 0)
  })

  it('picks the closest command id, or none when there are no candidates', () => {
    const ids = ['init:proxmox', 'init:status', 'vault:get', 'vault:set']
    assert.equal(closestId('init:proxmx', ids), 'init:proxmox')
    assert.equal(closestId('vault:gett', ids), 'vault:get')
    assert.equal(closestId('init:stats', ids), 'init:status')
    assert.equal(closestId('x', []), undefined)
  })
})
