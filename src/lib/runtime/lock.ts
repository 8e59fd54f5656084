import {randomBytes} from 'node:crypto'
import {link, stat, unlink, writeFile} from 'node:fs/promises'

import {ExitCode, HyopsError} from '../errors.js'
import {describeFsError} from './safe-write.js'
import {readUserText, SMALL_FILE_MAX_BYTES} from './user-file.js'

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  waitMs?: number
  /** What the lock guards, for the error message. */
  purpose?: string
  /** Where the one-line note about a taken-over lock goes; stderr by default. */
  note?: (line: string) => void
}

/** A held lock; release it in a `finally`. */
export interface Lock {
  release(): Promise<void>
}

/** An empty or garbled lock younger than this may be an old hyops still writing its pid: wait for it. */
const FRESH_MS = 2000

type Holder = {live: true; pid: number} | {live: false; why: string; ino?: number}

/**
 * An exclusive lock file that holds the owner's pid from the instant it exists: the pid is written to a
 * temp file first, which is then hard-linked to the lock's name (atomic, fails if the name exists), so a lock
 * is never empty. A lock whose owner is gone, or that is empty, garbled or unreadable, is taken over with a
 * note; a live one is waited for up to `waitMs`, then refused (exit 2).
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const deadline = Date.now() + (options.waitMs ?? 5000)
  const note = options.note ?? ((line: string) => void process.stderr.write(`${line}\n`))
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, `${process.pid}\n`, {flag: 'wx', mode: 0o600})
  } catch (error) {
    throw new HyopsError(ExitCode.Write, `cannot create lock ${path}: ${describeFsError(error)}`, {
      hint: 'check that the runtime root is on a writable file system with free space',
    })
  }

  let delay = 20
  try {
    for (;;) {
      try {
        await link(temp, path)
        return {release: () => unlink(path).catch(() => {})}
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new HyopsError(ExitCode.Write, `cannot create lock ${path}: ${describeFsError(error)}`)
        }
      }

      const holder = await inspect(path)
      if (!holder.live) {
        // Only the file that was judged is removed: another run may have taken it over meanwhile.
        const now = await stat(path).catch(() => undefined)
        if (now && now.ino === holder.ino) {
          await unlink(path).catch(() => {})
          note(`Note: took over the lock ${path} (${holder.why})`)
        }

        continue
      }

      if (Date.now() >= deadline) {
        const pid = holder.pid ? `, pid ${holder.pid}` : ''
        throw new HyopsError(
          ExitCode.Usage,
          `${options.purpose ?? 'another hyops run'} is in progress (lock ${path}${pid})`,
          {
            hint: 'wait for it to finish, or remove the lock file if that process is gone',
          },
        )
      }

      await new Promise((resolve) => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, 200)
    }
  } finally {
    await unlink(temp).catch(() => {})
  }
}

async function inspect(path: string): Promise<Holder> {
  const info = await stat(path).catch(() => undefined)
  if (!info) return {live: false, why: 'it vanished'}
  let text: string
  try {
    text = await readUserText(path, {maxBytes: SMALL_FILE_MAX_BYTES})
  } catch (error) {
    return {ino: info.ino, live: false, why: `it is unreadable: ${describeFsError(error)}`}
  }

  const pid = /^\s*(\d+)\s*$/.test(text) ? Number.parseInt(text, 10) : Number.NaN
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    if (Date.now() - info.mtimeMs < FRESH_MS) return {live: true, pid: 0}
    return {ino: info.ino, live: false, why: text.trim() === '' ? 'it was empty' : 'it held no pid'}
  }

  try {
    process.kill(pid, 0)
    return {live: true, pid}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return {live: true, pid}
    return {ino: info.ino, live: false, why: `its owner, pid ${pid}, is gone`}
  }
}
