import assert from 'node:assert/strict'
import {chmod, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {runCli, cleanupTempDirs} from '../../helpers/cli.js'
import {makeVaultRoot, readVaultValues, vaultSet} from '../../fixtures/vault/vault-root.js'

after(cleanupTempDirs)

describe('hyops vault set', () => {
  it(
    'creates the vault from stdin (one trailing newline stripped), 0600, without echoing the ' + 'value anywhere',
    async () => {
      const at = await makeVaultRoot()
      const secret = 'ab12-SECRET-"quoted"-\\-value'
      const run = await vaultSet(at, 'PROXMOX_TOKEN_SECRET', secret + '\n')
      assert.equal(run.code, 0, run.stderr)
      assert.deepEqual(await readVaultValues(at), {PROXMOX_TOKEN_SECRET: secret})
      assert.equal((await stat(at.vaultFile)).mode & 0o777, 0o600)
      assert.equal((await stat(join(at.root, 'vault'))).mode & 0o777, 0o700)
      assert.match(run.stderr, /Stored PROXMOX_TOKEN_SECRET in .*bootstrap\.vault\.env \(new vault\)/)
      for (const text of [run.stdout, run.stderr, run.argv.join(' '), await readFile(at.vaultFile, 'latin1')]) {
        assert.ok(!text.includes('SECRET-'), 'the value shows nowhere')
      }

      assert.deepEqual(await readdir(join(at.root, 'vault')), ['bootstrap.vault.env'], 'no lock or temp file left')
    },
  )

  it('keeps every other key and strips exactly one trailing newline (LF or CRLF)', async () => {
    const at = await makeVaultRoot()
    assert.equal((await vaultSet(at, 'A', 'first')).code, 0)
    assert.equal((await vaultSet(at, 'B', 'two lines\nend\n\n')).code, 0)
    assert.equal((await vaultSet(at, 'A', 'replaced\r\n')).code, 0)
    assert.deepEqual(await readVaultValues(at), {A: 'replaced', B: 'two lines\nend\n'})
  })

  it('reports --json without the value', async () => {
    const at = await makeVaultRoot()
    const run = await vaultSet(at, 'K', 'json-hidden-value', ['--json'])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(JSON.parse(run.stdout), {created: true, key: 'K', vault: at.vaultFile})
    assert.ok(!run.stdout.includes('json-hidden-value'))
  })

  it('wrong password: exit 21, the vault keeps its bytes and its mode', async () => {
    const at = await makeVaultRoot()
    assert.equal((await vaultSet(at, 'KEEP', 'me')).code, 0)
    await chmod(at.vaultFile, 0o640)
    const before = await readFile(at.vaultFile)
    const wrong = join(at.root, '..', 'wrong-pass')
    await writeFile(wrong, 'not it\n')
    const run = await runCli(['vault', 'set', 'NEW', '--root', at.root, '--vault-password-file', wrong], {
      input: 'value',
    })
    assert.equal(run.code, 21)
    assert.match(run.stderr, /^Error: wrong vault password or damaged vault: .*bootstrap\.vault\.env/m)
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
    assert.deepEqual(await readFile(at.vaultFile), before)
    assert.equal((await stat(at.vaultFile)).mode & 0o777, 0o640)
  })

  it('two concurrent sets of different keys: both keys are there after', async () => {
    const at = await makeVaultRoot()
    assert.equal((await vaultSet(at, 'BASE', '0')).code, 0)
    const runs = await Promise.all([vaultSet(at, 'LEFT', 'l'), vaultSet(at, 'RIGHT', 'r'), vaultSet(at, 'THIRD', 't')])
    for (const run of runs) assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(await readVaultValues(at), {BASE: '0', LEFT: 'l', RIGHT: 'r', THIRD: 't'})
  })

  it('takes the password from --vault-password-command and the environment', async () => {
    const at = await makeVaultRoot()
    const byCommand = await runCli(
      ['vault', 'set', 'A', '--root', at.root, '--vault-password-command', `cat '${at.passwordFile}'`],
      {input: '1'},
    )
    assert.equal(byCommand.code, 0, byCommand.stderr)
    const byEnvironment = await runCli(['vault', 'set', 'B', '--root', at.root], {
      env: {ANSIBLE_VAULT_PASSWORD_FILE: at.passwordFile},
      input: '2',
    })
    assert.equal(byEnvironment.code, 0, byEnvironment.stderr)
    assert.deepEqual(await readVaultValues(at), {A: '1', B: '2'})
  })

  it('without a password source: exit 21 naming the flags, nothing written', async () => {
    const at = await makeVaultRoot()
    const run = await runCli(['vault', 'set', 'A', '--root', at.root, '--non-interactive'], {input: 'x'})
    assert.equal(run.code, 21)
    assert.match(run.stderr, /no vault password .*--vault-password-file.*--vault-password-command/)
    await assert.rejects(stat(at.vaultFile), {code: 'ENOENT'})
  })

  it('refuses an invalid key, an empty value, and a value in argv', async () => {
    const at = await makeVaultRoot()
    const badKey = await vaultSet(at, 'BAD-KEY', 'x')
    assert.equal(badKey.code, 2)
    assert.match(badKey.stderr, /"BAD-KEY" is not a valid vault key/)
    const empty = await vaultSet(at, 'A', '\n')
    assert.equal(empty.code, 2)
    assert.match(empty.stderr, /no value for A on stdin.*hyops vault unset A/)
    const inArgv = await runCli(['vault', 'set', 'A', 'the-value', ...at.flags], {input: 'x'})
    assert.equal(inArgv.code, 2)
    await assert.rejects(stat(at.vaultFile), {code: 'ENOENT'})
  })
})
