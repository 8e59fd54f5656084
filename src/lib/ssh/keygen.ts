import {lstat, mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'

import {configError, ExitCode, HyopsError} from '../errors.js'
import {writeFileSafely} from '../runtime/safe-write.js'
import {KEY_FILE_MAX_BYTES, readUserText, unreadableReason} from '../runtime/user-file.js'

/** A key pair made by `generateEd25519KeyPair`. */
export interface GeneratedKeyPair {
  privatePath: string
  publicPath: string
  /** The public key line, `ssh-ed25519 AAAA... comment`. */
  publicKey: string
}

/** An OpenSSH public key line taken apart. */
export interface PublicKeyLine {
  type: string
  /** The base64 key blob: what identifies the key, whatever the comment says. */
  blob: string
  comment?: string
}

/** Where the public half of a private key file is kept: `<key>.pub`. */
export function publicKeyPath(privateKeyPath: string): string {
  return `${privateKeyPath}.pub`
}

/**
 * Parses one OpenSSH public key line (`type base64 [comment]`); undefined when it is not one.
 * The blob must decode to an SSH key of the named type, so a truncated or pasted-wrong key
 * is caught here rather than by the remote host.
 */
export function parsePublicKeyLine(line: string): PublicKeyLine | undefined {
  const match = /^([a-z0-9][a-z0-9@.-]*)[ \t]+([A-Za-z0-9+/]+={0,2})(?:[ \t]+(.*))?$/.exec(line.trim())
  if (!match) return undefined
  const [, type, blob, comment] = match
  const fields = wireFields(Buffer.from(blob, 'base64'))
  if (!fields || fields.length < 2 || fields[0].toString('latin1') !== type) return undefined
  if (type === 'ssh-ed25519' && (fields.length !== 2 || fields[1].length !== 32)) return undefined
  // eslint-disable-next-line no-control-regex
  if (comment !== undefined && /[\u0000-\u0008\u000a-\u001f\u007f]/.test(comment)) return undefined
  return {blob, comment: comment || undefined, type}
}

/** The length-prefixed fields of an SSH wire-format key; undefined when the blob is cut or padded. */
function wireFields(raw: Buffer): Buffer[] | undefined {
  const fields: Buffer[] = []
  let at = 0
  while (at < raw.length) {
    if (at + 4 > raw.length) return undefined
    const length = raw.readUInt32BE(at)
    if (at + 4 + length > raw.length) return undefined
    fields.push(raw.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }

  return fields
}

async function ssh2Utils() {
  return (await import('ssh2')).default.utils
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/**
 * Makes an ed25519 key pair in OpenSSH format (the format `ssh` and Proxmox expect): the
 * private key at `privatePath` with mode 0600 from its creation, the public key at
 * `<privatePath>.pub` with mode 0644. The parent directory is created with mode 0700 when
 * missing. An existing private or public key file is never overwritten (exit 30).
 */
export async function generateEd25519KeyPair(privatePath: string, comment: string): Promise<GeneratedKeyPair> {
  const publicPath = publicKeyPath(privatePath)
  for (const path of [privatePath, publicPath]) {
    if (await exists(path)) {
      throw new HyopsError(ExitCode.Write, `refusing to overwrite the existing key file ${path}`, {
        hint: 'use that key, or choose another path with PROXMOX_SSH_KEY',
        reason: 'key-exists',
      })
    }
  }

  const pair = await generateWellFormedPair(comment)
  await mkdir(dirname(privatePath), {mode: 0o700, recursive: true})
  // The private key first: a private key without its .pub can still be used (see readPublicKey).
  await writeFileSafely(privatePath, ensureNewline(pair.private), {mode: 0o600})
  const publicKey = pair.public.trim()
  await writeFileSafely(publicPath, publicKey + '\n', {mode: 0o644})
  return {privatePath, publicKey, publicPath}
}

/** The two halves of a key pair in OpenSSH format, as ssh2's generator returns them. */
export interface OpenSshKeyPair {
  private: string
  public: string
}

/**
 * Whether an ed25519 pair is usable: the private key parses, its public key is 32 bytes, and
 * the public line is that key. ssh2 (1.17) drops a public key's leading zero byte along with
 * the DER padding, so about one generated key in 256 is 31 bytes long and no SSH
 * implementation, ssh2 included, can load it.
 */
export async function isWellFormedEd25519Pair(pair: OpenSshKeyPair): Promise<boolean> {
  const utils = await ssh2Utils()
  const parsed = utils.parseKey(pair.private)
  if (parsed instanceof Error) return false
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  const blob = key.getPublicSSH()
  const line = parsePublicKeyLine(pair.public)
  return (
    key.type === 'ssh-ed25519' &&
    line !== undefined &&
    line.blob === blob.toString('base64') &&
    wireFields(blob)?.[1]?.length === 32
  )
}

/** A fresh ed25519 pair in OpenSSH format that every SSH implementation can load (see isWellFormedEd25519Pair). */
export async function generateWellFormedPair(comment: string): Promise<OpenSshKeyPair> {
  const utils = await ssh2Utils()
  // A malformed pair comes up about once in 256 draws (see isWellFormedEd25519Pair); 16 draws all malformed is
  // beyond belief.
  for (let attempt = 0; attempt < 16; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519', {comment})
    if (await isWellFormedEd25519Pair(pair)) return pair
  }

  throw new HyopsError(ExitCode.Write, 'could not generate a well-formed ed25519 key pair', {
    hint: 'create one with ssh-keygen -t ed25519 and set PROXMOX_SSH_KEY',
    reason: 'keygen-failed',
  })
}

/**
 * The public key line of a private key: from `<key>.pub` when it exists, else derived from
 * the private key itself when it is not passphrase-protected. Undefined when neither file
 * gives one. A `.pub` file that holds no public key is exit 11.
 */
export async function readPublicKey(privateKeyPath: string): Promise<string | undefined> {
  const pubPath = publicKeyPath(privateKeyPath)
  const pubText = await readIfExists(pubPath)
  if (pubText !== undefined) {
    const line = pubText
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0 && !l.startsWith('#'))
    if (line === undefined || parsePublicKeyLine(line) === undefined) {
      throw configError(
        `${pubPath} does not hold an OpenSSH public key`,
        `remove it or put the public key of ${privateKeyPath} there`,
      )
    }

    return line
  }

  const privateText = await readIfExists(privateKeyPath)
  if (privateText === undefined) return undefined
  const utils = await ssh2Utils()
  const parsed = utils.parseKey(privateText)
  if (parsed instanceof Error) return undefined
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  const line = `${key.type} ${key.getPublicSSH().toString('base64')}`
  return key.comment ? `${line} ${key.comment}` : line
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readUserText(path, {maxBytes: KEY_FILE_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw configError(
      `the key file ${path} cannot be read: ${unreadableReason(error)}`,
      'point PROXMOX_SSH_KEY at a readable private key file (chmod 600)',
    )
  }
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : text + '\n'
}
