import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {open, rename, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {writeError} from '../errors.js'

export interface SafeWriteOptions {
  /** Mode of the file from its creation on; 0600 unless said otherwise. */
  mode?: number
}

/**
 * Writes a file so that no reader ever sees it half-written or with a wider mode than asked:
 * a temp file in the same directory created with the final mode, fsync, rename over the
 * target, fsync of the directory. A failure leaves the old file as it was and is exit 30.
 */
export async function writeFileSafely(
  path: string,
  data: string | Uint8Array,
  options: SafeWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  let handle
  try {
    handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode)
    // The umask can only narrow the mode given to open(); chmod makes it exact.
    await handle.chmod(mode)
    await handle.writeFile(data)
    await handle.sync()
    await handle.close()
    handle = undefined
    await rename(temp, path)
    await syncDir(dir)
  } catch (error) {
    await handle?.close().catch(() => {})
    await unlink(temp).catch(() => {})
    throw writeError(
      `cannot write ${path}: ${describeFsError(error)}`,
      'check that the path is a writable file in a writable directory',
    )
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** A file system error in words: read-only and full file systems, permissions, ... named as such. */
export function describeFsError(error: unknown): string {
  const err = error as NodeJS.ErrnoException
  const known: Record<string, string> = {
    EACCES: 'permission denied',
    EEXIST: 'a temp file is in the way',
    EISDIR: 'a directory is in its place',
    ENOENT: 'its directory does not exist',
    EDQUOT: 'disk quota exceeded',
    ENOSPC: 'no space left on the device',
    ENOTDIR: 'a parent is not a directory',
    EROFS: 'read-only file system',
  }
  return (err.code && known[err.code]) ?? err.message ?? String(error)
}
