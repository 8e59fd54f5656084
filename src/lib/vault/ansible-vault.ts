import {createCipheriv, createDecipheriv, createHmac, pbkdf2, randomBytes, timingSafeEqual} from 'node:crypto'
import {promisify} from 'node:util'

import {ExitCode, HyopsError} from '../errors.js'

/** The first field of every ansible-vault header. */
export const VAULT_MAGIC = '$ANSIBLE_VAULT'
/** The only cipher ansible-vault writes (and the only one this codec knows). */
export const VAULT_CIPHER = 'AES256'

const PBKDF2_ITERATIONS = 10_000
const KEY_LENGTH = 32
const IV_LENGTH = 16
const SALT_LENGTH = 32
const BLOCK = 16
const LINE_WIDTH = 80
const HEX = /^(?:[0-9a-fA-F]{2})*$/

const derive = promisify(pbkdf2)

/** What the header of a vault says. */
export interface VaultHeader {
  /** `1.1`, or `1.2` when the file carries a vault-id label. */
  version: string
  cipher: string
  /** The vault-id label of a 1.2 header. */
  label?: string
}

/** A decrypted vault: the plaintext bytes and the header they came with. */
export interface DecryptedVault extends VaultHeader {
  plaintext: Buffer
}

export interface EncryptVaultOptions {
  /** Writes a 1.2 header with this vault-id label (as `ansible-vault --vault-id label@...`). */
  label?: string
  /** 32 random bytes unless given; only known-answer tests fix it. */
  salt?: Uint8Array
}

export interface DecryptVaultOptions {
  /** Names the data in error messages, normally the vault file's path. */
  source?: string
}

/** True when the text starts with an ansible-vault header. */
export function isVaultText(text: string | Uint8Array): boolean {
  const head = typeof text === 'string' ? text.slice(0, 64) : Buffer.from(text.subarray(0, 64)).toString('utf8')
  return head.replace(/^\uFEFF/, '').startsWith(VAULT_MAGIC + ';')
}

/**
 * Encrypts as `ansible-vault encrypt` does (format 1.1, or 1.2 with a label): PBKDF2-HMAC-SHA256
 * (10000 iterations) of the password and a random salt gives the AES-256-CTR key, the
 * HMAC-SHA256 key and the counter's start; the plaintext is PKCS#7-padded; salt, HMAC and
 * ciphertext are hexlified, joined by newlines, hexlified again and wrapped at 80 columns.
 */
export async function encryptVault(
  plaintext: string | Uint8Array,
  password: string | Uint8Array,
  options: EncryptVaultOptions = {},
): Promise<string> {
  const salt = Buffer.from(options.salt ?? randomBytes(SALT_LENGTH))
  if (salt.length === 0) throw new Error('an empty salt cannot encrypt a vault')
  const label = options.label === undefined || options.label === 'default' ? undefined : checkLabel(options.label)
  const {cipherKey, hmacKey, iv} = await deriveKeys(toBytes(password), salt)
  const cipher = createCipheriv('aes-256-ctr', cipherKey, iv)
  const ciphertext = Buffer.concat([cipher.update(pad(toBytes(plaintext))), cipher.final()])
  const mac = createHmac('sha256', hmacKey).update(ciphertext).digest()
  const inner = [salt.toString('hex'), mac.toString('hex'), ciphertext.toString('hex')].join('\n')
  const body = Buffer.from(inner, 'ascii').toString('hex')
  const header =
    label === undefined ? `${VAULT_MAGIC};1.1;${VAULT_CIPHER}` : `${VAULT_MAGIC};1.2;${VAULT_CIPHER};${label}`
  const lines = [header]
  for (let i = 0; i < body.length; i += LINE_WIDTH) lines.push(body.slice(i, i + LINE_WIDTH))
  return lines.join('\n') + '\n'
}

/**
 * Decrypts ansible-vault text (1.1 or 1.2). The HMAC is checked in constant time before
 * anything is decrypted: a wrong password or a changed byte is a HyopsError (exit 21,
 * reason `wrong-password`), a text that is not a well-formed vault one with reason `damaged`.
 */
export async function decryptVault(
  text: string | Uint8Array,
  password: string | Uint8Array,
  options: DecryptVaultOptions = {},
): Promise<DecryptedVault> {
  const source = options.source ?? 'vault data'
  const {header, body} = parseEnvelope(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'), source)
  const parts = unhex(body, source, 'body').toString('latin1').split('\n')
  if (parts.length !== 3) throw damaged(source, 'the body does not hold a salt, an HMAC and a ciphertext')
  const salt = unhex(parts[0], source, 'salt')
  const expectedMac = unhex(parts[1], source, 'HMAC')
  const ciphertext = unhex(parts[2], source, 'ciphertext')
  if (salt.length === 0 || expectedMac.length !== 32) throw damaged(source, 'bad salt or HMAC length')

  const {cipherKey, hmacKey, iv} = await deriveKeys(toBytes(password), salt)
  const actualMac = createHmac('sha256', hmacKey).update(ciphertext).digest()
  if (!timingSafeEqual(actualMac, expectedMac)) {
    throw new HyopsError(ExitCode.Secrets, `wrong vault password or damaged vault: ${source}`, {
      hint: 'check the password given by --vault-password-file, --vault-password-command or HYOPS_VAULT_PASSWORD_FILE',
      reason: 'wrong-password',
    })
  }

  if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0)
    throw damaged(source, 'the ciphertext is not whole AES blocks')
  const decipher = createDecipheriv('aes-256-ctr', cipherKey, iv)
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()])
  const plaintext = unpad(padded)
  if (plaintext === undefined) throw damaged(source, 'bad padding')
  return {...header, plaintext}
}

/** Reads the header of vault text without decrypting it. */
export function readVaultHeader(text: string, source = 'vault data'): VaultHeader {
  return parseEnvelope(text, source).header
}

function parseEnvelope(text: string, source: string): {header: VaultHeader; body: string} {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  const fields = lines[0]
    .trim()
    .split(';')
    .map((field) => field.trim())
  if (fields[0] !== VAULT_MAGIC || fields.length < 3) {
    throw new HyopsError(ExitCode.Secrets, `not an ansible-vault file: ${source}`, {
      hint: 'a vault starts with $ANSIBLE_VAULT;1.1;AES256; encrypt a plain env file with ansible-vault encrypt',
      reason: 'not-a-vault',
    })
  }

  const [, version, cipher, label] = fields
  if (version !== '1.1' && version !== '1.2') throw unsupported(source, `format version ${version}`)
  if (cipher !== VAULT_CIPHER) throw unsupported(source, `cipher ${cipher}`)
  const body = lines
    .slice(1)
    .map((line) => line.trim())
    .join('')
  return {body, header: label ? {cipher, label, version} : {cipher, version}}
}

async function deriveKeys(password: Buffer, salt: Buffer): Promise<{cipherKey: Buffer; hmacKey: Buffer; iv: Buffer}> {
  const derived = await derive(password, salt, PBKDF2_ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, 'sha256')
  return {
    cipherKey: derived.subarray(0, KEY_LENGTH),
    hmacKey: derived.subarray(KEY_LENGTH, 2 * KEY_LENGTH),
    iv: derived.subarray(2 * KEY_LENGTH),
  }
}

function pad(data: Buffer): Buffer {
  const count = BLOCK - (data.length % BLOCK)
  return Buffer.concat([data, Buffer.alloc(count, count)])
}

function unpad(data: Buffer): Buffer | undefined {
  const count = data.at(-1) ?? 0
  if (count < 1 || count > BLOCK || count > data.length) return undefined
  for (let i = data.length - count; i < data.length; i++) if (data[i] !== count) return undefined
  return data.subarray(0, data.length - count)
}

function unhex(text: string, source: string, what: string): Buffer {
  if (!HEX.test(text)) throw damaged(source, `the ${what} is not hexadecimal`)
  return Buffer.from(text, 'hex')
}

function toBytes(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value)
}

function checkLabel(label: string): string {
  if (!/^[^;\s]+$/.test(label))
    throw new HyopsError(ExitCode.Usage, `vault-id label "${label}" is not valid`, {
      hint: 'use a label without ";" or whitespace',
    })
  return label
}

function damaged(source: string, what: string): HyopsError {
  return new HyopsError(ExitCode.Secrets, `damaged vault: ${source} (${what})`, {
    hint: 'restore the file from a backup; hyops leaves it as it is',
    reason: 'damaged',
  })
}

function unsupported(source: string, what: string): HyopsError {
  return new HyopsError(ExitCode.Secrets, `unsupported vault ${what}: ${source}`, {
    hint: 'hyops reads $ANSIBLE_VAULT 1.1 and 1.2 with AES256; re-encrypt it with ansible-vault rekey',
    reason: 'unsupported',
  })
}
