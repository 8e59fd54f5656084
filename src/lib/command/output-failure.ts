import {writeSync} from 'node:fs'
import {constants} from 'node:os'

import {ExitCode} from '../errors.js'

/**
 * What happens when hyops cannot write its own output (stdout or stderr a full disk, a closed pipe, a
 * terminal that went away): every command ends with exit 30, the contract's write failure, and one line
 * on whichever of stdout and stderr still works; a closed pipe (`hyops env ... | head -1`) is not worth a
 * line and stays quiet. Work already under way (secret writes, the marker) is not cut short: a failing
 * stream only decides the exit code and the line.
 */

/** The codes of a failed write to stdout or stderr that end a command with exit 30. */
const WRITE_FAILURES = new Set(['EPIPE', 'ENOSPC', 'EIO', 'EDQUOT', 'EFBIG', 'ECONNRESET', 'EBADF'])

let failed: string | undefined

/** The code of the first output failure of this process (`EPIPE`, `ENOSPC`, ...), if there was one. */
export function outputFailed(): string | undefined {
  return failed
}

/** True for an error that is a failed write of hyops's own output. */
export function isOutputFailure(error: unknown): boolean {
  const err = error as NodeJS.ErrnoException | undefined
  return err?.syscall === 'write' && typeof err.code === 'string' && WRITE_FAILURES.has(err.code)
}

/**
 * Records an output failure: exit code 30 and, unless the pipe was closed, one line on whichever
 * stream still takes it. Later failures (a destroyed stream written again) add nothing.
 */
export function reportOutputFailure(error: unknown): void {
  process.exitCode = ExitCode.Write
  if (failed) return
  failed = (error as NodeJS.ErrnoException)?.code ?? 'EIO'
  if (failed === 'EPIPE') return
  const why = describeWriteError(failed)
  writeLine(`Error: cannot write the output: ${why} (${failed})`)
}

/**
 * Writes one line to stderr, or to stdout when stderr no longer takes it (synchronously, so that it is out
 * before an exit). Returns false when neither stream took it.
 */
export function writeLine(line: string, first: 1 | 2 = 2): boolean {
  for (const fd of first === 2 ? [2, 1] : [1, 2]) {
    try {
      writeSync(fd, line + '\n')
      return true
    } catch {
      // This stream is gone too: try the other one.
    }
  }

  return false
}

/**
 * Makes stdout and stderr report their write errors here instead of crashing the process (a stream with
 * no `error` listener throws, with a stack trace) or being swallowed (@oclif/core swallows stdout's EPIPE
 * and then waits forever for a drain). Safe to call more than once.
 */
export function guardOutputStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    for (const listener of stream.listeners('error'))
      if (listener !== onStreamError) stream.off('error', listener as never)
    if (!stream.listeners('error').includes(onStreamError)) stream.on('error', onStreamError)
  }
}

function onStreamError(error: NodeJS.ErrnoException): void {
  reportOutputFailure(error)
}

function describeWriteError(code: string): string {
  switch (code) {
    case 'ENOSPC': {
      return 'no space left on the device'
    }

    case 'EDQUOT': {
      return 'the disk quota is exceeded'
    }

    case 'EFBIG': {
      return 'the file is too large'
    }

    case 'EIO': {
      return 'an I/O error (a terminal or disk that went away?)'
    }

    default: {
      return `the write failed (errno ${constants.errno[code as keyof typeof constants.errno] ?? '?'})`
    }
  }
}
