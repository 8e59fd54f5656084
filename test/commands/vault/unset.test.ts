import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {after, describe, it} from 'node:test'

import {cleanupTempDirs, runCli} from '../../helpers/cli.js'
import {makeVaultRoot, readVaultValues, vaultSet} from '../../fixtures/vault/vault-root.js'

after(cleanupTempDirs)

describe('hyops vault unset', () => {
  it('removes one key and keeps the others', async () => {
    const at = await makeVaultRoot()
    assert.equal((await vaultSet(at, 'KEEP', 'k')).code, 0)
    assert.equal((await vaultSet(at, 'DROP', 'd')).code, 0)
    const run = await runCli(['vault', 'unset', 'DROP', ...at.flags])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /Removed DROP from /)
    assert.deepEqual(await readVaultValues(at), {KEEP: 'k'})
  })

  it('is a no-op for a key that is not there: exit 0, the file untouched', async () => {
    const at = await makeVaultRoot()
    assert.equal((await vaultSet(at, 'KEEP', 'k')).code, 0)
    const before = await readFile(at.vaultFile)
    const run = await runCli(['vault', 'unset', 'ABSENT', ...at.flags, '--json'])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(JSON.parse(run.stdout), {key: 'ABSENT', removed: false, vault: at.vaultFile})
    assert.deepEqual(await readFile(at.vaultFile), before)
  })
})
