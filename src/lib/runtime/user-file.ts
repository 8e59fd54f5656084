import {closeSync, constants, type Stats, fstatSync, openSync, readSync, statSync} from 'node:fs'
import {open, stat} from 'node:fs/promises'

/**
 * The one way hyops reads a file the operator or another tool controls (config, ssh config and its
 * includes, keys, CA files, vault, password files, credentials, markers): opened without blocking
 * (a FIFO's open never waits for a writer), checked on the opened descriptor to be a regular file
 * (no path check that could race), and read to at most `maxBytes`. Anything else is a `UserFileError`
 * whose `reason` says, in words, what the file is; a missing file keeps Node's `ENOENT` so callers can
 * treat "absent" as a case of their own.
 */

/** A PEM bundle of CA certificates (a system bundle is about 200 KiB). */
export const CA_FILE_MAX_BYTES = 4 * 1024 * 1024
/** A private or public key file, or a one-line secret file (a 16384-bit RSA key is about 13 KiB). */
export const KEY_FILE_MAX_BYTES = 1024 * 1024
/** A small file hyops writes and reads back: credentials tfvars, readiness marker, lock, ssh config. */
export const SMALL_FILE_MAX_BYTES = 4 * 1024 * 1024
/** A file that grows with use: the vault, known_hosts. */
export const LARGE_FILE_MAX_BYTES = 64 * 1024 * 1024

/** Why a file was refused: `ENOTREG` (not a regular file) or `EFBIG` (over the bound). */
export type UserFileRefusal = 'ENOTREG' | 'EFBIG'

export class UserFileError extends Error {
  readonly code: UserFileRefusal
  readonly path: string
  /** In words, for a message: "it is a FIFO (named pipe), not a regular file". */
  readonly reason: string

  constructor(code: UserFileRefusal, path: string, reason: string) {
    super(`${path}: ${reason}`)
    this.name = 'UserFileError'
    this.code = code
    this.path = path
    this.reason = reason
  }
}

export interface UserFileOptions {
  /** More than this many bytes is refused (`EFBIG`) before it is all in memory. */
  maxBytes: number
}

// O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer; O_NOCTTY: a
// terminal device never becomes the controlling terminal. Regular files ignore both.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY
const CHUNK = 64 * 1024

/** Reads a regular file of at most `maxBytes` (see the module comment). */
export async function readUserFile(path: string, options: UserFileOptions): Promise<Buffer> {
  return (await readUserFileAndStats(path, options)).data
}

/** `readUserFile`, with the `fstat` of the descriptor it read (its mtime, say). */
export async function readUserFileAndStats(
  path: string,
  options: UserFileOptions,
): Promise<{data: Buffer; stats: Stats}> {
  const handle = await open(path, OPEN_FLAGS).catch(async (error: unknown) => {
    throw await explainOpenFailure(path, error)
  })
  try {
    const stats = await handle.stat()
    refuseIrregular(path, stats, options.maxBytes)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buffer = Buffer.alloc(Math.min(CHUNK, options.maxBytes + 1 - total))
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) return {data: Buffer.concat(chunks), stats}
      chunks.push(buffer.subarray(0, bytesRead))
      total += bytesRead
      if (total > options.maxBytes) throw tooLarge(path, options.maxBytes)
    }
  } finally {
    await handle.close()
  }
}

/** `readUserFile` as UTF-8 text. */
export async function readUserText(path: string, options: UserFileOptions): Promise<string> {
  return (await readUserFile(path, options)).toString('utf8')
}

/** `readUserFile` for the few places that must stay synchronous (the TLS roots of a client). */
export function readUserFileSync(path: string, options: UserFileOptions): Buffer {
  let fd: number
  try {
    fd = openSync(path, OPEN_FLAGS)
  } catch (error) {
    throw explainOpenFailureSync(path, error)
  }

  try {
    refuseIrregular(path, fstatSync(fd), options.maxBytes)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buffer = Buffer.alloc(Math.min(CHUNK, options.maxBytes + 1 - total))
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null)
      if (bytesRead === 0) return Buffer.concat(chunks)
      chunks.push(buffer.subarray(0, bytesRead))
      total += bytesRead
      if (total > options.maxBytes) throw tooLarge(path, options.maxBytes)
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * Why a read failed, in a few words for a one-line message: "no such file", "permission denied",
 * "it is a FIFO (named pipe), not a regular file", "it is larger than 256 KiB", or the error's code.
 */
export function unreadableReason(error: unknown): string {
  if (error instanceof UserFileError) return error.reason
  const code = (error as NodeJS.ErrnoException)?.code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'ENOTDIR') return 'a part of its path is not a directory'
  if (code === 'ELOOP') return 'too many symbolic links'
  return code ?? (error as Error)?.message ?? String(error)
}

/** What a file that is not a regular file is, in words. */
export function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory'
  if (stats.isFIFO()) return 'a FIFO (named pipe)'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  return 'not a regular file'
}

function refuseIrregular(path: string, stats: Stats, maxBytes: number): void {
  if (!stats.isFile()) throw new UserFileError('ENOTREG', path, `it is ${fileKind(stats)}, not a regular file`)
  if (stats.size > maxBytes) throw tooLarge(path, maxBytes)
}

function tooLarge(path: string, maxBytes: number): UserFileError {
  return new UserFileError('EFBIG', path, `it is larger than ${formatBytes(maxBytes)}`)
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}

// A socket cannot be opened at all (ENXIO), nor can a device without a driver: say what the path is. This
// stat only words the message; the refusal came from the open.
async function explainOpenFailure(path: string, error: unknown): Promise<unknown> {
  if ((error as NodeJS.ErrnoException)?.code !== 'ENXIO') return error
  const stats = await stat(path).catch(() => undefined)
  return new UserFileError(
    'ENOTREG',
    path,
    `it is ${stats ? fileKind(stats) : 'not a regular file'}, not a regular file`,
  )
}

function explainOpenFailureSync(path: string, error: unknown): unknown {
  if ((error as NodeJS.ErrnoException)?.code !== 'ENXIO') return error
  let kind = 'not a regular file'
  try {
    kind = fileKind(statSync(path))
  } catch {
    // Gone since the open: the refusal stands without the detail.
  }

  return new UserFileError('ENOTREG', path, `it is ${kind}, not a regular file`)
}
