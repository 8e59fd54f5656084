import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {cleanupTempDirs, runCli} from '../../helpers/cli.js'
import {TRICKY_VALUES} from '../../fixtures/vault/tricky-values.js'
import {makeVaultRoot, vaultSet, type VaultRoot} from '../../fixtures/vault/vault-root.js'

let at: VaultRoot

describe('hyops vault get', () => {
  before(async () => {
    at = await makeVaultRoot()
    for (const key of ['MULTI_LINE', 'QUOTES', 'UNICODE'])
      assert.equal((await vaultSet(at, key, TRICKY_VALUES[key] + '\n')).code, 0)
  })
  after(cleanupTempDirs)

  it('prints exactly the value asked for, byte for byte, and nothing else', async () => {
    for (const key of ['MULTI_LINE', 'UNICODE']) {
      const run = await runCli(['vault', 'get', key, ...at.flags])
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.stdout, TRICKY_VALUES[key])
      assert.equal(run.stderr, '')
    }
  })

  it('answers --json with the key and its value', async () => {
    const run = await runCli(['vault', 'get', 'QUOTES', ...at.flags, '--json'])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(JSON.parse(run.stdout), {key: 'QUOTES', value: TRICKY_VALUES.QUOTES})
  })

  it('exits 1 with a clear message for a key that is not there', async () => {
    const run = await runCli(['vault', 'get', 'ABSENT', ...at.flags])
    assert.equal(run.code, 1)
    assert.equal(run.stdout, '')
    assert.match(
      run.stderr,
      /^Error: ABSENT is not in the vault .*bootstrap\.vault\.env \(list the keys with hyops vault keys/m,
    )
  })

  it('exits 1 when the vault does not exist, without needing a password', async () => {
    const empty = await makeVaultRoot()
    const run = await runCli(['vault', 'get', 'ANY', '--root', empty.root, '--non-interactive'])
    assert.equal(run.code, 1)
    assert.match(run.stderr, /ANY is not in the vault .* \(the vault does not exist yet\)/)
  })

  it('exits 21 when the password command fails, quoting its stderr', async () => {
    const run = await runCli([
      'vault',
      'get',
      'QUOTES',
      '--root',
      at.root,
      '--vault-password-command',
      'echo "agent is locked" >&2; exit 4',
    ])
    assert.equal(run.code, 21)
    assert.match(run.stderr, /vault password command \(--vault-password-command\) failed \(exit 4\): agent is locked/)
    assert.equal(run.stdout, '')
  })

  it('reads the password from HYOPS_VAULT_PASSWORD_COMMAND', async () => {
    const run = await runCli(['vault', 'get', 'UNICODE', '--root', at.root], {
      env: {HYOPS_VAULT_PASSWORD_COMMAND: `cat '${at.passwordFile}'`},
    })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, TRICKY_VALUES.UNICODE)
  })
})
