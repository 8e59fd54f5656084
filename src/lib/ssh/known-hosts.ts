import {createHash, createHmac} from 'node:crypto'
import {constants} from 'node:fs'
import {open} from 'node:fs/promises'
import {dirname} from 'node:path'

import {ExitCode, HyopsError} from '../errors.js'
import {makePrivateDir} from '../runtime/layout.js'
import {LARGE_FILE_MAX_BYTES, readUserText, unreadableReason} from '../runtime/user-file.js'

/**
 * How a server's host key is checked against the known_hosts file:
 * `strict` fails on an unknown key, `accept-new` records it on first contact (the default),
 * `off` checks nothing and records nothing.
 */
export type HostKeyPolicy = 'strict' | 'accept-new' | 'off'

export const HOST_KEY_POLICIES: readonly HostKeyPolicy[] = ['strict', 'accept-new', 'off']

/** Asked before a new host key is recorded (the interactive "trust this host key?"). */
export type ConfirmNewHostKey = (
  fingerprint: string,
  details: {host: string; port: number; keyType: string},
) => Promise<boolean>

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number
  /** `@revoked` or `@cert-authority` when the line starts with one. */
  marker?: 'cert-authority' | 'revoked'
  /** The host field as written: a comma list of patterns, or one `|1|salt|hash` entry. */
  hosts: string
  keyType: string
  /** The key blob, base64 as written. */
  keyBase64: string
}

/** What a host key check concluded. */
export interface HostKeyCheck {
  /** `known`: matched an entry; `recorded`: new and appended; `unchecked`: policy off. */
  status: 'known' | 'recorded' | 'unchecked'
  keyType: string
  fingerprint: string
  /** The known_hosts line that matched or was written. */
  line?: number
  /** The operator's known_hosts file that held the key, when it was not hyops' own. */
  file?: string
}

/**
 * The host field OpenSSH writes for a host: the plain (lowercased) name for port 22,
 * `[host]:port` otherwise.
 */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase()
  return port === 22 ? name : `[${name}]:${port}`
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`
}

/** The key type named inside an SSH key blob (its first length-prefixed string). */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown'
  const length = keyBlob.readUInt32BE(0)
  if (length === 0 || length > 64 || 4 + length > keyBlob.length) return 'unknown'
  return keyBlob.subarray(4, 4 + length).toString('latin1')
}

/** Parses known_hosts text; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  const lines = text.split('\n')
  for (const [index, raw] of lines.entries()) {
    const fields = raw.trim().split(/\s+/)
    if (fields[0] === '' || fields[0].startsWith('#')) continue
    let marker: KnownHostEntry['marker']
    if (fields[0].startsWith('@')) {
      const name = fields.shift()!.slice(1)
      if (name !== 'revoked' && name !== 'cert-authority') continue
      marker = name
    }

    const [hosts, keyType, keyBase64] = fields
    if (!hosts || !keyType || !keyBase64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)) continue
    entries.push({hosts, keyBase64, keyType, line: index + 1, ...(marker ? {marker} : {})})
  }

  return entries
}

/**
 * Whether an entry's host field names `host:port`: hashed (`|1|salt|hash`, HMAC-SHA1 of the
 * name) or a comma list of patterns with `*`, `?` and `!` negation, as OpenSSH reads them.
 */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port)
  if (entry.hosts.startsWith('|1|')) {
    const [, , salt, hash] = entry.hosts.split('|')
    if (!salt || !hash) return false
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64')
    return digest === hash
  }

  let matched = false
  for (const pattern of entry.hosts.split(',')) {
    const negated = pattern.startsWith('!')
    const body = (negated ? pattern.slice(1) : pattern).toLowerCase()
    if (!globMatches(body, name)) continue
    if (negated) return false
    matched = true
  }

  return matched
}

function globMatches(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === name
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${regex}$`).test(name)
}

/** Reads a known_hosts file; a missing file has no entries. */
export async function readKnownHosts(path: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readUserText(path, {maxBytes: LARGE_FILE_MAX_BYTES}))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new HyopsError(ExitCode.Remote, `cannot read known_hosts file ${path}: ${unreadableReason(error)}`, {
      hint: 'make it a readable file or remove it',
      reason: 'known-hosts-unreadable',
    })
  }
}

/**
 * Appends `<name> <type> <base64>` for a host key, creating the file (0600) and its directory
 * (0700) when missing. Returns the line number written.
 */
export async function appendKnownHost(path: string, host: string, port: number, keyBlob: Buffer): Promise<number> {
  const line = `${knownHostsName(host, port)} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString('base64')}\n`
  try {
    await makePrivateDir(dirname(path))
    let existing = ''
    try {
      existing = await readUserText(path, {maxBytes: LARGE_FILE_MAX_BYTES})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }

    const handle = await open(
      path,
      constants.O_CREAT | constants.O_APPEND | constants.O_WRONLY | constants.O_NOFOLLOW,
      0o600,
    )
    try {
      const separator = existing.length > 0 && !existing.endsWith('\n') ? '\n' : ''
      await handle.writeFile(separator + line)
      await handle.sync()
    } finally {
      await handle.close()
    }

    const before = existing.length === 0 ? 0 : existing.split('\n').length - (existing.endsWith('\n') ? 1 : 0)
    return before + 1
  } catch (error) {
    throw new HyopsError(
      ExitCode.Remote,
      `cannot record the host key of ${knownHostsName(host, port)} in ${path}: ${(error as Error).message}`,
      {
        hint: 'make the state directory writable, or pass the host key policy off',
        reason: 'known-hosts-unwritable',
      },
    )
  }
}

export interface VerifyHostKeyOptions {
  knownHostsFile: string
  host: string
  port: number
  /** The key blob the server presented. */
  key: Buffer
  policy: HostKeyPolicy
  confirmNewHostKey?: ConfirmNewHostKey
  /**
   * The operator's own known_hosts files (`~/.ssh/known_hosts`, UserKnownHostsFile), read only: a key found there
   * is trusted without asking, another key for the host there is a changed key.
   */
  trustedFiles?: string[]
}

/**
 * Checks a server's host key against the known_hosts file under the policy, recording a new
 * key under `accept-new`. Throws HyopsError 20 with reason `host-key-changed` (the file has
 * other keys for this host), `host-key-revoked`, `host-key-unknown` (strict, no entry) or
 * `host-key-rejected` (the operator declined the new key).
 */
export async function verifyHostKey(options: VerifyHostKeyOptions): Promise<HostKeyCheck> {
  const {host, key, knownHostsFile: file, port} = options
  const keyType = keyTypeOfBlob(key)
  const fingerprint = fingerprintSha256(key)
  if (options.policy === 'off') return {fingerprint, keyType, status: 'unchecked'}

  const name = knownHostsName(host, port)
  const keyBase64 = key.toString('base64')
  const sources = [{entries: await readKnownHosts(file), file}, ...(await readTrustedFiles(options.trustedFiles))]
  const forHost = sources.flatMap((source) =>
    source.entries
      .filter((entry) => entryMatchesHost(entry, host, port) && entry.marker !== 'cert-authority')
      .map((entry) => ({...entry, file: source.file})),
  )
  const same = (entry: KnownHostEntry) => entry.keyBase64.replace(/=+$/, '') === keyBase64.replace(/=+$/, '')

  const revoked = forHost.find((entry) => entry.marker === 'revoked' && same(entry))
  if (revoked) {
    throw new HyopsError(
      ExitCode.Remote,
      `host key ${fingerprint} of ${name} is marked @revoked at ${revoked.file}:${revoked.line}`,
      {
        hint: 'the host presents a key you revoked; check the host before removing that line',
        reason: 'host-key-revoked',
      },
    )
  }

  const known = forHost.filter((entry) => !entry.marker)
  const match = known.find((entry) => same(entry))
  if (match) return {fingerprint, keyType, line: match.line, status: 'known', ...(match.file === file ? {} : {file})}

  if (known.length > 0) {
    const old = known.find((entry) => entry.keyType === keyType) ?? known[0]
    const oldFingerprint = fingerprintSha256(Buffer.from(old.keyBase64, 'base64'))
    throw new HyopsError(
      ExitCode.Remote,
      `host key of ${name} changed: ${old.file} has ${oldFingerprint} (${old.keyType}), the ` +
        `server offered ${fingerprint} (${keyType})`,
      {
        hint: `if the host was reinstalled on purpose, remove line ${old.line} of ${old.file} and re-run`,
        reason: 'host-key-changed',
      },
    )
  }

  if (options.policy === 'strict') {
    throw new HyopsError(
      ExitCode.Remote,
      `host key ${fingerprint} (${keyType}) of ${name} is not in ${file} and the host key policy is strict`,
      {
        hint: `add the host's key to ${file}, or re-run with the host key policy accept-new`,
        reason: 'host-key-unknown',
      },
    )
  }

  if (options.confirmNewHostKey && !(await options.confirmNewHostKey(fingerprint, {host, keyType, port}))) {
    throw new HyopsError(ExitCode.Remote, `host key ${fingerprint} (${keyType}) of ${name} was not trusted`, {
      hint: 'compare it with the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host) and re-run',
      reason: 'host-key-rejected',
    })
  }

  const line = await appendKnownHost(file, host, port, key)
  return {fingerprint, keyType, line, status: 'recorded'}
}

async function readTrustedFiles(files: string[] = []): Promise<Array<{entries: KnownHostEntry[]; file: string}>> {
  const read = async (path: string) => ({entries: await readKnownHosts(path).catch(() => []), file: path})
  return Promise.all([...new Set(files)].map((path) => read(path)))
}

/**
 * The key types known for a host, so a client can offer those host key algorithms first (as
 * OpenSSH does) and a server with several keys presents the one on record.
 */
export async function knownKeyTypes(
  knownHostsFile: string,
  host: string,
  port: number,
  trustedFiles: string[] = [],
): Promise<string[]> {
  const entries = [
    ...(await readKnownHosts(knownHostsFile)),
    ...(await readTrustedFiles(trustedFiles)).flatMap((source) => source.entries),
  ]
  const types = entries
    .filter((entry) => !entry.marker && entryMatchesHost(entry, host, port))
    .map((entry) => entry.keyType)
  return [...new Set(types)]
}
