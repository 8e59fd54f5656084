import type {Dirent, Stats} from 'node:fs'
import {readdir, realpath, stat} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {RuntimeLayout} from '../../runtime/layout.js'
import {hybridopsHome} from '../../runtime/root.js'
import {readUserFileAndStats, unreadableReason} from '../../runtime/user-file.js'
import {printable} from '../../ux/terminal.js'
import {parseTfvars, TfvarsParseError} from '../outputs/tfvars.js'

/** A sibling env's credentials file may not be larger than this (hyops writes ~1 KiB). */
const MAX_TFVARS_BYTES = 256 * 1024

/** One runtime root next to this one. */
export interface SiblingEnv {
  /** The directory name (printable). */
  name: string
  /** Its runtime root. */
  root: string
}

/** What matching needs from a sibling's `credentials/proxmox.credentials.tfvars`. */
export interface SiblingCredentials extends SiblingEnv {
  /** `proxmox_url` host, lower case, IPv6 without brackets. */
  host: string
  /** `proxmox_url` port, only when the URL names one. */
  port?: number
  tokenId: string
  /** `proxmox_token_secret`, when the file holds one. */
  secret?: string
  node?: string
  /** `storage_snippets`: the storage a validation lists. */
  storage?: string
  /** The mtime (ms) of its tfvars; `withMarkerTime` makes it the newer of that and its readiness marker's. */
  writtenAt: number
}

/** A sibling read: its credentials, nothing to offer (no Proxmox credentials yet), or broken with a note. */
export type SiblingRead =
  {kind: 'credentials'; credentials: SiblingCredentials} | {kind: 'none'} | {kind: 'broken'; note: string}

/** What a candidate must name to be for the same token on the same host as this run. */
export interface ReuseTarget {
  /** The names this run knows the host by (PROXMOX_IP, the API IP of the marker or the bootstrap). */
  hosts: readonly string[]
  /** PROXMOX_API_PORT. */
  apiPort: number
  /** `user@realm!name`. */
  tokenId: string
}

/**
 * Where the sibling envs of `root` live: the parent of `root` when it sits in an `envs/`
 * folder (any `.../envs/<name>`), else `~/.hybridops/envs`.
 */
export function siblingEnvsDir(root: string, home: string = hybridopsHome()): string {
  const parent = dirname(resolve(root))
  return basename(parent) === 'envs' ? parent : join(home, 'envs')
}

/**
 * The directories in `envsDir` but `root` itself (compared after resolving symlinks). A
 * missing `envsDir` has no siblings; an unreadable one is a note.
 */
export async function listSiblingEnvs(envsDir: string, root: string): Promise<{envs: SiblingEnv[]; notes: string[]}> {
  let entries: Dirent[]
  try {
    entries = await readdir(envsDir, {withFileTypes: true})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return {envs: [], notes: []}
    return {envs: [], notes: [`cannot list the sibling envs in ${envsDir}: ${reasonOf(error)}`]}
  }

  const [self, realEnvsDir] = await Promise.all([
    realpath(root).catch(() => resolve(root)),
    realpath(envsDir).catch(() => resolve(envsDir)),
  ])
  const envs: SiblingEnv[] = []
  await Promise.all(
    entries.map(async (entry) => {
      const dir = join(envsDir, entry.name)
      // Only a symlink needs resolving; a plain directory's real path is the real folder's.
      let real = join(realEnvsDir, entry.name)
      if (entry.isSymbolicLink()) {
        const [info, target] = await Promise.all([
          stat(dir).catch(() => undefined),
          realpath(dir).catch(() => undefined),
        ])
        if (!info?.isDirectory() || target === undefined) return
        real = target
      } else if (!entry.isDirectory()) {
        return
      }

      if (real !== self && resolve(dir) !== resolve(root)) envs.push({name: printable(entry.name), root: dir})
    }),
  )
  return {envs: envs.sort((a, b) => (a.root < b.root ? -1 : 1)), notes: []}
}

/**
 * Reads a sibling's Proxmox credentials without ever blocking or failing: no tfvars file is
 * `none`; an unreadable, oversized, non-text or unparsable one, or one without
 * `proxmox_url`/`proxmox_token_id`, is `broken` with a note that holds no value.
 */
export async function readSiblingCredentials(env: SiblingEnv): Promise<SiblingRead> {
  const path = new RuntimeLayout(env.root).credentialsFile('proxmox')
  const broken = (why: string): SiblingRead => ({kind: 'broken', note: `skipped env "${env.name}": ${why}`})
  let file: {text: string; mtimeMs: number}
  try {
    const read = await readSmallTextFile(path)
    if (read === undefined) return {kind: 'none'}
    file = read
  } catch (error) {
    return broken(`cannot read credentials/proxmox.credentials.tfvars (${reasonOf(error)})`)
  }

  let values: Record<string, unknown>
  try {
    values = parseTfvars(file.text)
  } catch (error) {
    return broken(
      `credentials/proxmox.credentials.tfvars is not a tfvars file ` +
        `(${error instanceof TfvarsParseError ? error.message : 'unreadable'})`,
    )
  }

  const text = (name: string) =>
    typeof values[name] === 'string' && values[name] !== '' ? (values[name] as string) : undefined
  const url = text('proxmox_url')
  const tokenId = text('proxmox_token_id')
  if (!url || !tokenId) return broken('credentials/proxmox.credentials.tfvars has no proxmox_url or proxmox_token_id')
  const address = urlAddress(url)
  if (!address) return broken('the proxmox_url of credentials/proxmox.credentials.tfvars is not an http(s) URL')
  return {
    credentials: {
      ...env,
      host: address.host,
      node: text('proxmox_node'),
      port: address.port,
      secret: text('proxmox_token_secret'),
      storage: text('storage_snippets'),
      tokenId,
      writtenAt: file.mtimeMs,
    },
    kind: 'credentials',
  }
}

/** The credentials with `writtenAt` the newest of the tfvars and the readiness marker (read for matches only). */
export async function withMarkerTime(credentials: SiblingCredentials): Promise<SiblingCredentials> {
  const markerTime = await stat(new RuntimeLayout(credentials.root).markerFile('proxmox')).then(
    (info) => info.mtimeMs,
    () => 0,
  )
  return {...credentials, writtenAt: Math.max(credentials.writtenAt, markerTime)}
}

/**
 * True when a sibling's credentials are for this run's token on this run's host: the same
 * token id (exactly), a URL host equal to one of `target.hosts` (case and IPv6 brackets
 * aside; no DNS lookup: a name and an address of one host do not match), and the same port
 * unless the sibling's URL names none.
 */
export function matchesTarget(
  candidate: Pick<SiblingCredentials, 'host' | 'port' | 'tokenId'>,
  target: ReuseTarget,
): boolean {
  if (candidate.tokenId !== target.tokenId) return false
  if (candidate.port !== undefined && candidate.port !== target.apiPort) return false
  const host = normalizeHost(candidate.host)
  return target.hosts.some((name) => normalizeHost(name) === host)
}

/** Lower case, no IPv6 brackets, no trailing dot of a fully qualified name. */
export function normalizeHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  return bare.toLowerCase().replace(/\.$/, '')
}

// The URL class drops a port equal to the scheme's default, so whether one was written is
// read from the authority itself.
const AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::(\d+))?(?:[/?#]|$)/

/** Host and written port of an http(s) URL. */
function urlAddress(url: string): {host: string; port?: number} | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }

  const authority = AUTHORITY.exec(url.trim())
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || !authority || parsed.hostname === '')
    return undefined
  const port = authority[2] === undefined ? undefined : Number(authority[2])
  return {host: normalizeHost(parsed.hostname), port}
}

/**
 * A small regular file as UTF-8 text; undefined when there is none. Read by the one reader of operator
 * files, so that a FIFO in its place cannot hang the scan.
 */
async function readSmallTextFile(path: string): Promise<{text: string; mtimeMs: number} | undefined> {
  let read: {data: Buffer; stats: Stats}
  try {
    read = await readUserFileAndStats(path, {maxBytes: MAX_TFVARS_BYTES})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }

  try {
    return {mtimeMs: read.stats.mtimeMs, text: new TextDecoder('utf-8', {fatal: true}).decode(read.data)}
  } catch {
    throw new Error('not UTF-8 text')
  }
}

function reasonOf(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === 'EISDIR') return 'it is a directory'
  return error instanceof Error && !(error as NodeJS.ErrnoException).code ? error.message : unreadableReason(error)
}
