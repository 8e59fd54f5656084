import assert from 'node:assert/strict'
import {chmod, mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {HyopsError} from '../../../src/lib/errors.js'
import {decryptVault, encryptVault} from '../../../src/lib/vault/ansible-vault.js'
import {DEFAULT_ENV_HEADER, formatEnvFile} from '../../../src/lib/vault/env-file.js'
import {openVault} from '../../../src/lib/vault/open-vault.js'
import type {VaultAccessOptions} from '../../../src/lib/vault/vault-access.js'
import {TRICKY_VALUES} from '../../fixtures/vault/tricky-values.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'

const PASSWORD = 'open-vault test password'
let passwordFile: string
let wrongPasswordFile: string

/** A vault path in a fresh directory (which does not exist yet). */
async function vaultPath(): Promise<string> {
  return join(await tempDir(), 'root', 'vault', 'bootstrap.vault.env')
}

function options(vaultFile: string, extra: Partial<VaultAccessOptions> = {}): VaultAccessOptions {
  return {environment: {}, interactive: false, passwordFile, vaultFile, ...extra}
}

async function plaintextOf(file: string): Promise<string> {
  return (await decryptVault(await readFile(file), PASSWORD)).plaintext.toString('utf8')
}

async function writeVault(file: string, plaintext: string, label?: string): Promise<void> {
  await mkdir(join(file, '..'), {recursive: true})
  await writeFile(file, await encryptVault(plaintext, PASSWORD, {label}), {mode: 0o600})
}

function isExit(code: number, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof HyopsError, String(error))
    assert.equal(error.exitCode, code)
    if (message) assert.match(error.line, message)
    return true
  }
}

describe('openVault', () => {
  before(async () => {
    const dir = await tempDir()
    passwordFile = join(dir, 'pass')
    wrongPasswordFile = join(dir, 'wrong')
    await writeFile(passwordFile, PASSWORD + '\n')
    await writeFile(wrongPasswordFile, 'not the password\n')
  })
  after(cleanupTempDirs)

  it('opens a missing vault empty without asking for a password', async () => {
    const file = await vaultPath()
    const vault = await openVault({environment: {}, interactive: false, vaultFile: file})
    assert.equal(vault.exists, false)
    assert.deepEqual(vault.values, {})
    assert.equal(vault.passwordSource, undefined)
    assert.equal(vault.file, file)
    await assert.rejects(vault.update({A: '1'}), isExit(21, /no vault password.*--vault-password-file/))
    await assert.rejects(stat(join(file, '..')), {code: 'ENOENT'}, 'nothing was created')
    await assert.rejects(vault.ensureWritable(), isExit(21))
  })

  it('creates the vault on first update: 0700 directory, 0600 file, sorted env text', async () => {
    const file = await vaultPath()
    const vault = await openVault(options(file))
    await vault.ensureWritable()
    assert.equal(vault.passwordSource, '--vault-password-file')
    await assert.rejects(stat(file), {code: 'ENOENT'}, 'ensureWritable writes nothing')
    const stored = await vault.update(TRICKY_VALUES)
    assert.deepEqual(stored, TRICKY_VALUES)
    assert.equal(vault.exists, true)
    assert.deepEqual(vault.values, TRICKY_VALUES)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.equal((await stat(join(file, '..'))).mode & 0o777, 0o700)
    assert.equal(await plaintextOf(file), formatEnvFile(TRICKY_VALUES))
    assert.ok((await readFile(file, 'utf8')).startsWith('$ANSIBLE_VAULT;1.1;AES256\n'))
    assert.deepEqual((await readdir(join(file, '..'))).sort(), ['bootstrap.vault.env'], 'no temp or lock file left')
  })

  it('decrypts an existing vault at open and merges updates into it', async () => {
    const file = await vaultPath()
    await writeVault(file, '# kept comment\nB="2"\nA="1"\n')
    await chmod(file, 0o640)
    const vault = await openVault(options(file, {passwordFile: undefined, passwordCommand: `cat '${passwordFile}'`}))
    assert.equal(vault.exists, true)
    assert.deepEqual(vault.values, {A: '1', B: '2'})
    assert.equal(vault.passwordSource, '--vault-password-command')
    const stored = await vault.update({A: undefined, C: 'three'})
    assert.deepEqual(stored, {B: '2', C: 'three'})
    assert.equal(await plaintextOf(file), '# kept comment\nB="2"\nC="three"\n')
    assert.equal((await stat(file)).mode & 0o777, 0o600, 'written with mode 0600')
  })

  it('keeps a 1.2 header and its vault-id label when it rewrites', async () => {
    const file = await vaultPath()
    await writeVault(file, 'A="1"\n', 'prod')
    const vault = await openVault(options(file))
    await vault.update({B: '2'})
    assert.ok((await readFile(file, 'utf8')).startsWith('$ANSIBLE_VAULT;1.2;AES256;prod\n'))
    assert.equal(await plaintextOf(file), `${DEFAULT_ENV_HEADER.join('\n')}\nA="1"\nB="2"\n`)
  })

  it('leaves a vault it cannot decrypt exactly as it was', async () => {
    const file = await vaultPath()
    await writeVault(file, 'A="1"\n')
    await chmod(file, 0o640)
    const before = await readFile(file)
    await assert.rejects(
      openVault(options(file, {passwordFile: wrongPasswordFile})),
      isExit(21, /wrong vault password or damaged vault: .*bootstrap\.vault\.env/),
    )
    const damaged = Buffer.from(before)
    damaged[damaged.length - 5] ^= 1
    await writeFile(file, damaged)
    await chmod(file, 0o640)
    await assert.rejects(openVault(options(file)), isExit(21))
    assert.deepEqual(await readFile(file), damaged)
    assert.equal((await stat(file)).mode & 0o777, 0o640)
  })

  it('refuses a plain (unencrypted) file and never overwrites it', async () => {
    const file = await vaultPath()
    await mkdir(join(file, '..'), {recursive: true})
    await writeFile(file, 'SECRET="plain"\n')
    await assert.rejects(openVault(options(file)), isExit(21, /not an ansible-vault file/))
    assert.equal(await readFile(file, 'utf8'), 'SECRET="plain"\n')
  })

  it(
    're-reads the file under the lock: a vault created by someone else since open is merged, ' + 'not replaced',
    async () => {
      const file = await vaultPath()
      const late = await openVault(options(file))
      assert.equal(late.exists, false)
      const early = await openVault(options(file))
      await early.update({FIRST: '1'})
      await late.update({SECOND: '2'})
      assert.equal(await plaintextOf(file), `${DEFAULT_ENV_HEADER.join('\n')}\nFIRST="1"\nSECOND="2"\n`)
    },
  )

  it('loses no key when many writers update one vault at once', async () => {
    const file = await vaultPath()
    await writeVault(file, 'BASE="0"\n')
    const writers = await Promise.all(Array.from({length: 8}, () => openVault(options(file))))
    await Promise.all(writers.map((vault, i) => vault.update({[`KEY_${i}`]: `value ${i}`})))
    const final = await openVault(options(file))
    assert.deepEqual(
      Object.keys(final.values).sort(),
      ['BASE', ...Array.from({length: 8}, (_, i) => `KEY_${i}`)].sort(),
    )
  })

  it('does not rewrite the file when an update changes nothing', async () => {
    const file = await vaultPath()
    await writeVault(file, 'A="1"\n')
    const before = await readFile(file)
    const vault = await openVault(options(file))
    assert.deepEqual(await vault.update({A: '1', MISSING: undefined}), {A: '1'})
    assert.deepEqual(await readFile(file), before)
  })

  it('reads a vault with lines it does not understand, but refuses to rewrite it', async () => {
    const file = await vaultPath()
    await writeVault(file, 'A="1"\nthis is not an assignment\n')
    const before = await readFile(file)
    const vault = await openVault(options(file))
    assert.deepEqual(vault.values, {A: '1'})
    await assert.rejects(vault.update({B: '2'}), isExit(21, /line 2.*ansible-vault edit/))
    assert.deepEqual(await readFile(file), before)
  })

  it('refuses invalid key names with exit 2', async () => {
    const vault = await openVault(options(await vaultPath()))
    await assert.rejects(vault.update({'BAD-KEY': 'x'}), isExit(2, /BAD-KEY/))
  })
})
