import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import {cleanupTempDirs, runCli} from '../../helpers/cli.js'
import {makeVaultRoot, vaultSet} from '../../fixtures/vault/vault-root.js'

after(cleanupTempDirs)

describe('hyops vault keys', () => {
  it('prints the key names sorted, one a line, and never a value', async () => {
    const at = await makeVaultRoot()
    for (const [key, value] of [
      ['ZULU', 'value-of-zulu'],
      ['ALPHA', 'value-of-alpha'],
      ['MIKE', 'value-of-mike'],
    ]) {
      assert.equal((await vaultSet(at, key, value)).code, 0)
    }

    const run = await runCli(['vault', 'keys', ...at.flags])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, 'ALPHA\nMIKE\nZULU\n')
    assert.doesNotMatch(run.stdout + run.stderr, /value-of/)
    const json = await runCli(['vault', 'keys', ...at.flags, '--json'])
    assert.deepEqual(JSON.parse(json.stdout), {exists: true, keys: ['ALPHA', 'MIKE', 'ZULU'], vault: at.vaultFile})
  })

  it('lists nothing for a vault that does not exist yet, and says so on stderr', async () => {
    const at = await makeVaultRoot()
    const run = await runCli(['vault', 'keys', '--root', at.root, '--non-interactive'])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, '')
    assert.match(run.stderr, /does not exist yet/)
  })

  it('honours --vault-file over the root default', async () => {
    const at = await makeVaultRoot()
    const other = `${at.root}-elsewhere/custom.vault.env`
    assert.equal(
      (
        await runCli(['vault', 'set', 'ELSEWHERE', '--vault-file', other, '--vault-password-file', at.passwordFile], {
          input: 'x',
        })
      ).code,
      0,
    )
    const run = await runCli(['vault', 'keys', '--vault-file', other, '--vault-password-file', at.passwordFile])
    assert.equal(run.stdout, 'ELSEWHERE\n')
  })
})
