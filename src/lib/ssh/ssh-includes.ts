import {readdir} from 'node:fs/promises'
import {homedir} from 'node:os'
import {basename, dirname, isAbsolute, join} from 'node:path'

import {ExitCode, HyopsError} from '../errors.js'
import {expandHome} from '../runtime/root.js'
import {readUserText, SMALL_FILE_MAX_BYTES, unreadableReason} from '../runtime/user-file.js'

/** How far `Include` may nest (OpenSSH stops at 16; a real config uses one or two levels). */
export const MAX_INCLUDE_DEPTH = 8
/** How many files an ssh config and its includes may add up to, however they are nested. */
export const MAX_INCLUDE_FILES = 64
/** How many bytes an ssh config and its includes may add up to. */
export const MAX_INCLUDE_BYTES = SMALL_FILE_MAX_BYTES

/**
 * Replaces each `Include` line of the ssh config `path` (whose text is `text`) with the text of the files it
 * names (relative to ~/.ssh, `*` and `?` in the last part, sorted), as OpenSSH reads them. A file that
 * does not exist is skipped; each file is read once per run, and a file included again later adds
 * nothing (with first-match-wins, its lines already had their say). A file that includes itself or
 * one of its includers, nesting past `MAX_INCLUDE_DEPTH`, or more than `MAX_INCLUDE_FILES` files or
 * `MAX_INCLUDE_BYTES` bytes in all is exit 11 naming the files; so is an included file that cannot be
 * read (a FIFO, a directory, no permission).
 */
export async function spliceIncludes(path: string, text: string): Promise<string> {
  const walk = new IncludeWalk(path, text)
  return walk.splice(text, [path])
}

class IncludeWalk {
  private readonly seen = new Set<string>()
  private bytes: number

  constructor(
    private readonly top: string,
    text: string,
  ) {
    this.seen.add(top)
    this.bytes = Buffer.byteLength(text)
  }

  async splice(text: string, chain: string[]): Promise<string> {
    const lines: string[] = []
    for (const line of text.split(/\r?\n/)) {
      const include = /^\s*include(?:\s*=\s*|\s+)(.+)$/i.exec(line)
      if (!include) {
        lines.push(line)
        continue
      }

      for (const pattern of include[1].trim().split(/\s+/)) {
        for (const file of await expandInclude(pattern.replace(/^"(.*)"$/, '$1'))) {
          const included = await this.read(file, chain)
          if (included !== undefined) lines.push(await this.splice(included, [...chain, file]))
        }
      }
    }

    return lines.join('\n')
  }

  private async read(file: string, chain: string[]): Promise<string | undefined> {
    if (chain.includes(file)) {
      throw this.refuse(`includes itself: ${[...chain.slice(chain.indexOf(file)), file].join(' -> ')}`)
    }

    if (this.seen.has(file)) return undefined
    if (chain.length > MAX_INCLUDE_DEPTH) {
      throw this.refuse(`nests Include deeper than ${MAX_INCLUDE_DEPTH} levels: ${[...chain, file].join(' -> ')}`)
    }

    if (this.seen.size >= MAX_INCLUDE_FILES) {
      throw this.refuse(`includes more than ${MAX_INCLUDE_FILES} files (the last one ${file})`)
    }

    this.seen.add(file)
    let text: string
    try {
      text = await readUserText(file, {maxBytes: MAX_INCLUDE_BYTES})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw this.refuse(`includes ${file}, which cannot be read: ${unreadableReason(error)}`)
    }

    this.bytes += Buffer.byteLength(text)
    if (this.bytes > MAX_INCLUDE_BYTES) {
      throw this.refuse(`and its includes add up to more than ${MAX_INCLUDE_BYTES / (1024 * 1024)} MiB (at ${file})`)
    }

    return text
  }

  private refuse(what: string): HyopsError {
    return new HyopsError(ExitCode.ConfigInvalid, `the ssh config ${this.top} ${what}`, {
      hint: 'fix its Include lines (ssh -G <host> shows what OpenSSH reads), or set PROXMOX_SSH_CONFIG=none',
      reason: 'ssh-config-malformed',
    })
  }
}

async function expandInclude(pattern: string): Promise<string[]> {
  const home = expandHome(pattern)
  const path = isAbsolute(home) ? home : join(homedir(), '.ssh', home)
  const name = basename(path)
  if (!/[*?]/.test(name)) return [path]
  const regex = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  )
  const names = await readdir(dirname(path)).catch(() => [] as string[])
  return names
    .filter((entry) => regex.test(entry))
    .sort()
    .map((entry) => join(dirname(path), entry))
}
