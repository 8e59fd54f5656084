import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {HyopsError} from '../../../src/lib/errors.js'
import {decryptVault, encryptVault, isVaultText, readVaultHeader} from '../../../src/lib/vault/ansible-vault.js'
import {PROJECT_ROOT} from '../../helpers/cli.js'

interface KnownAnswer {
  name: string
  password: string
  salt_hex: string
  vault_id: string | null
  plaintext: string
  vault_text: string
}

const fixture = JSON.parse(
  await readFile(join(PROJECT_ROOT, 'test', 'fixtures', 'vault', 'known-answer.json'), 'utf8'),
) as {cases: KnownAnswer[]}

/** Expects a HyopsError with exit 21 and the given reason. */
async function rejectsWith(promise: Promise<unknown>, reason: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HyopsError, `not a HyopsError: ${String(error)}`)
    assert.equal(error.exitCode, 21)
    assert.equal(error.reason, reason)
    if (message) assert.match(error.message, message)
    return true
  })
}

/** Changes one hex digit of the body at `index` (counted from the start of the body). */
function flipBodyDigit(text: string, index: number): string {
  const start = text.indexOf('\n') + 1
  const at = start + index
  const digit = text[at] === '3' ? '4' : '3'
  return text.slice(0, at) + digit + text.slice(at + 1)
}

describe('ansible-vault codec', () => {
  it('holds the four known answers made by ansible-core', () => {
    assert.equal(fixture.cases.length, 4)
  })

  for (const vector of fixture.cases) {
    it(`encrypts exactly as ansible-core: ${vector.name}`, async () => {
      const text = await encryptVault(vector.plaintext, vector.password, {
        label: vector.vault_id ?? undefined,
        salt: Buffer.from(vector.salt_hex, 'hex'),
      })
      assert.equal(text, vector.vault_text)
    })

    it(`decrypts ansible-core's bytes: ${vector.name}`, async () => {
      const result = await decryptVault(vector.vault_text, vector.password)
      assert.equal(result.plaintext.toString('utf8'), vector.plaintext)
      assert.equal(result.version, vector.vault_id ? '1.2' : '1.1')
      assert.equal(result.label, vector.vault_id ?? undefined)
      assert.equal(result.cipher, 'AES256')
    })
  }

  it('wraps the body at 80 columns under the header and ends with a newline', async () => {
    const text = await encryptVault('x'.repeat(500), 'pw')
    const lines = text.split('\n')
    assert.equal(lines[0], '$ANSIBLE_VAULT;1.1;AES256')
    assert.equal(lines.at(-1), '')
    const body = lines.slice(1, -1)
    for (const line of body.slice(0, -1)) assert.equal(line.length, 80)
    assert.ok(body.at(-1)!.length <= 80 && body.at(-1)!.length > 0)
    assert.match(body.join(''), /^[0-9a-f]+$/)
  })

  it('uses a fresh random salt each time, and both texts decrypt', async () => {
    const a = await encryptVault('same', 'pw')
    const b = await encryptVault('same', 'pw')
    assert.notEqual(a, b)
    assert.equal((await decryptVault(a, 'pw')).plaintext.toString(), 'same')
    assert.equal((await decryptVault(Buffer.from(b), Buffer.from('pw'))).plaintext.toString(), 'same')
  })

  it('writes a 1.2 header only for a label other than "default"', async () => {
    assert.ok((await encryptVault('x', 'pw', {label: 'default'})).startsWith('$ANSIBLE_VAULT;1.1;AES256\n'))
    assert.ok((await encryptVault('x', 'pw', {label: 'prod'})).startsWith('$ANSIBLE_VAULT;1.2;AES256;prod\n'))
    await assert.rejects(
      encryptVault('x', 'pw', {label: 'a;b'}),
      (error: unknown) => error instanceof HyopsError && error.exitCode === 2,
    )
  })

  it('reports a wrong password as exit 21 naming the source, never garbage', async () => {
    const vector = fixture.cases[0]
    await rejectsWith(
      decryptVault(vector.vault_text, vector.password + 'x', {source: '/v/bootstrap.vault.env'}),
      'wrong-password',
      /^wrong vault password or damaged vault: \/v\/bootstrap\.vault\.env$/,
    )
  })

  it('detects a changed byte in the ciphertext, the HMAC or the salt by the HMAC', async () => {
    const vector = fixture.cases[0]
    const bodyLength = vector.vault_text.length - vector.vault_text.indexOf('\n') - 1
    // Digits near the start are the salt, in the middle the HMAC or ciphertext, near the end the ciphertext.
    for (const index of [2, 140, Math.floor(bodyLength / 2), bodyLength - 4]) {
      const tampered = flipBodyDigit(vector.vault_text, index)
      assert.notEqual(tampered, vector.vault_text)
      await assert.rejects(
        decryptVault(tampered, vector.password),
        (error: unknown) => error instanceof HyopsError && error.exitCode === 21,
      )
    }
  })

  it('reports malformed vault text as damaged (exit 21), not a crash', async () => {
    const vector = fixture.cases[0]
    const lines = vector.vault_text.split('\n')
    await rejectsWith(decryptVault(lines.slice(0, 3).join('\n') + 'z\n', vector.password), 'damaged')
    await rejectsWith(decryptVault(lines.slice(0, 3).join('\n') + '\n', vector.password), 'damaged')
    await rejectsWith(decryptVault('$ANSIBLE_VAULT;1.1;AES256\n', vector.password), 'damaged')
    await rejectsWith(
      decryptVault(`$ANSIBLE_VAULT;1.1;AES256\n${Buffer.from('00\n11\n22').toString('hex')}\n`, vector.password),
      'damaged',
    )
  })

  it('refuses text that is not a vault, and unknown versions or ciphers', async () => {
    await rejectsWith(decryptVault('PROXMOX_TOKEN_SECRET="plain"\n', 'pw'), 'not-a-vault', /^not an ansible-vault file/)
    await rejectsWith(decryptVault('', 'pw'), 'not-a-vault')
    await rejectsWith(decryptVault('$ANSIBLE_VAULT;1.0;AES\n00\n', 'pw'), 'unsupported')
    await rejectsWith(decryptVault('$ANSIBLE_VAULT;1.1;AES128\n00\n', 'pw'), 'unsupported')
  })

  it('reads CRLF line endings and a byte-order mark', async () => {
    const vector = fixture.cases[2]
    const windows = '\uFEFF' + vector.vault_text.replaceAll('\n', '\r\n')
    assert.equal((await decryptVault(windows, vector.password)).plaintext.toString('utf8'), vector.plaintext)
    assert.deepEqual(readVaultHeader(windows), {cipher: 'AES256', label: 'prod', version: '1.2'})
  })

  it('recognises vault text', () => {
    assert.equal(isVaultText(fixture.cases[0].vault_text), true)
    assert.equal(isVaultText(Buffer.from(fixture.cases[2].vault_text)), true)
    assert.equal(isVaultText('KEY="value"\n'), false)
    assert.equal(isVaultText(''), false)
  })
})
