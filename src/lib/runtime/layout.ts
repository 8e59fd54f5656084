import {chmod, lstat, mkdir, rmdir, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {usageError, writeError} from '../errors.js'
import {describeFsError} from './safe-write.js'

/** The contract's reserved directories under a runtime root. */
export const RESERVED_DIRS = ['config', 'credentials', 'vault', 'meta', 'logs', 'state'] as const
export type ReservedDir = (typeof RESERVED_DIRS)[number]

/** Paths of one runtime root, by the contract's layout. */
export class RuntimeLayout {
  readonly root: string

  constructor(root: string) {
    this.root = root
  }

  dir(name: ReservedDir): string {
    return join(this.root, name)
  }

  configFile(target: string): string {
    return join(this.root, 'config', `${target}.conf`)
  }

  credentialsFile(target: string): string {
    return join(this.root, 'credentials', `${target}.credentials.tfvars`)
  }

  markerFile(target: string): string {
    return join(this.root, 'meta', `${target}.ready.json`)
  }

  get vaultFile(): string {
    return join(this.root, 'vault', 'bootstrap.vault.env')
  }

  get knownHostsFile(): string {
    return join(this.root, 'state', 'known_hosts')
  }

  evidenceDir(target: string, runId: string): string {
    return join(this.root, 'logs', 'init', target, runId)
  }

  /**
   * Creates the root and its reserved directories with mode 0700, then checks them (see {@link guardDir}):
   * a group- or world-writable one is tightened to 0700 with a note; one owned by another user, or a reserved
   * directory that is a symlink, is refused (exit 2). `state/known_hosts` must not be a symlink either.
   * `readOnly` (a dry run): a root that cannot be written is only checked, never changed.
   */
  async ensure(options: {note?: (line: string) => void; readOnly?: boolean} = {}): Promise<void> {
    const note = options.note ?? ((line: string) => void process.stderr.write(`${line}\n`))
    const make = async (path: string) => {
      try {
        await makePrivateDir(path)
      } catch (error) {
        if (!options.readOnly) throw error
      }
    }

    await make(this.root)
    await guardDir(this.root, {allowSymlink: true, note, readOnly: options.readOnly})
    for (const name of RESERVED_DIRS) {
      await make(this.dir(name))
      await guardDir(this.dir(name), {note, readOnly: options.readOnly})
    }

    const knownHosts = await lstat(this.knownHostsFile).catch(() => undefined)
    if (knownHosts?.isSymbolicLink())
      throw usageError(
        `${this.knownHostsFile} is a symlink; hyops does not write host keys through one`,
        'replace it with a regular file (copy the entries you trust)',
      )
  }
}

/** `mkdir -p` with mode 0700 on each directory it creates, whatever the umask. */
export async function makePrivateDir(path: string): Promise<void> {
  try {
    const first = await mkdir(path, {mode: 0o700, recursive: true})
    if (first !== undefined) await chmod(path, 0o700)
  } catch (error) {
    throw writeError(`cannot create directory ${path}: ${describeFsError(await realMkdirError(path, error))}`)
  }
}

/**
 * Runtime root hygiene for one of hyops' own directories: owned by someone else (another local user could
 * swap what is inside under a root SSH session) is refused, exit 2 naming it; group- or world-writable is
 * tightened to 0700 with a note. A reserved directory that is a symlink is refused unless `allowSymlink`.
 */
export async function guardDir(
  path: string,
  options: {allowSymlink?: boolean; note: (line: string) => void; readOnly?: boolean},
): Promise<void> {
  const link = await lstat(path).catch(() => undefined)
  if (link === undefined) return
  if (link.isSymbolicLink() && !options.allowSymlink)
    throw usageError(
      `${path} is a symlink; hyops keeps its files in directories of the runtime root itself`,
      'replace the symlink with a directory (mode 0700)',
    )
  const info = link.isSymbolicLink() ? await stat(path) : link
  if (!info.isDirectory()) throw usageError(`${path} is not a directory`, 'move it away and re-run')
  const uid = process.getuid?.()
  if (uid !== undefined && info.uid !== uid)
    throw usageError(
      `${path} belongs to uid ${info.uid}, not to the user running hyops (uid ${uid})`,
      'use a runtime root of your own (--root), or chown it to yourself',
    )
  if ((info.mode & 0o022) === 0) return
  const was = (info.mode & 0o777).toString(8).padStart(4, '0')
  if (options.readOnly) {
    options.note(`Note: ${path} is group- or world-writable (mode ${was}); not changed in a dry run`)
    return
  }

  try {
    await chmod(path, 0o700)
  } catch (error) {
    throw writeError(`cannot tighten ${path} (mode ${was}) to 0700: ${describeFsError(error)}`)
  }

  options.note(`Note: tightened ${path} from mode ${was} to 0700 (it was group- or world-writable)`)
}

/**
 * A recursive mkdir on a read-only file system fails with ENOENT (for the missing parent): the real reason is
 * what a plain mkdir of the first missing directory says (EROFS, ENOSPC, EACCES).
 */
async function realMkdirError(path: string, error: unknown): Promise<unknown> {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return error
  let missing = path
  for (let parent = dirname(missing); parent !== missing; parent = dirname(missing)) {
    if (
      await lstat(parent).then(
        () => true,
        () => false,
      )
    )
      break
    missing = parent
  }

  try {
    await mkdir(missing, {mode: 0o700})
    await rmdir(missing)
    return error
  } catch (real) {
    return real
  }
}
