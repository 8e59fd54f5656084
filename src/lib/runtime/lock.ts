import {open, readFile, unlink} from 'node:fs/promises'

import {ExitCode, HyopsError} from '../errors.js'

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  waitMs?: number
  /** What the lock guards, for the error message. */
  purpose?: string
}

/** A held lock; release it in a `finally`. */
export interface Lock {
  release(): Promise<void>
}

/**
 * An exclusive lock file created with O_EXCL and holding the owner's pid. A lock whose owner
 * is gone is taken over; a live one is waited for up to `waitMs`, then refused.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const deadline = Date.now() + (options.waitMs ?? 5000)
  let delay = 20
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600)
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      return {release: () => unlink(path).catch(() => {})}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new HyopsError(ExitCode.Write, `cannot create lock ${path}: ${(error as Error).message}`)
      }
    }

    if (await ownerIsGone(path)) {
      await unlink(path).catch(() => {})
      continue
    }

    if (Date.now() >= deadline) {
      const owner = (await readFile(path, 'utf8').catch(() => '')).trim()
      throw new HyopsError(
        ExitCode.Usage,
        `${options.purpose ?? 'another hyops run'} is in progress (lock ${path}${owner ? `, pid ${owner}` : ''})`,
        {
          hint: 'wait for it to finish, or remove the lock file if that process is gone',
        },
      )
    }

    await new Promise((resolve) => setTimeout(resolve, delay))
    delay = Math.min(delay * 2, 200)
  }
}

async function ownerIsGone(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return true
  const pid = Number.parseInt(text, 10)
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
