import {unsafe as iniUnquote} from 'ini'

import {ExitCode, HyopsError} from '../errors.js'
import {readUserFile, unreadableReason} from '../runtime/user-file.js'
import {malformedConfig} from './errors.js'
import type {ConfigTable} from './table.js'
import type {ConfigFile, ConfigKeySpec} from './types.js'

/** A config file is a few hundred bytes; anything past this (`/dev/zero`?) is refused unread. */
export const CONFIG_MAX_BYTES = 256 * 1024

const SECTION = /^\[([^\]]*)\]$/
const KEY_VALUE = /^([^=]+)=(.*)$/

/**
 * Reads a target's config file as INI: a missing file is `exists: false`; a file that is not
 * UTF-8, a line that is neither `[section]`, `KEY = value`, a `#`/`;` comment nor blank, a key
 * before any section, a key set twice, or no section of the table is exit 11 naming the file and
 * line. A table without `section` reads plain `KEY = value` lines (an `export ` prefix allowed).
 * Keys match the table's names and aliases in any case; values are unquoted and inline comments
 * dropped by the `ini` package's rules.
 */
export async function readConfigFile<K extends ConfigKeySpec>(
  table: ConfigTable<K>,
  path: string,
): Promise<ConfigFile<K['key']>> {
  let bytes: Buffer
  try {
    bytes = await readUserFile(path, {maxBytes: CONFIG_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return {exists: false, lines: {}, path, unknown: [], values: {}}
    if (code === 'EFBIG')
      throw new HyopsError(ExitCode.ConfigInvalid, `config ${path} is larger than ${CONFIG_MAX_BYTES / 1024} KiB`, {
        hint: `give a ${table.title} config file with --config (a few lines of KEY = value)`,
        reason: 'config-unreadable',
      })
    throw new HyopsError(ExitCode.ConfigInvalid, `cannot read config ${path}: ${unreadableReason(error)}`, {
      hint: 'give a readable file with --config',
      reason: 'config-unreadable',
    })
  }

  return parseConfigText(table, decodeUtf8(bytes, path), path)
}

/** Parses config text (see `readConfigFile`); `path` is only for messages. */
export function parseConfigText<K extends ConfigKeySpec>(
  table: ConfigTable<K>,
  text: string,
  path: string,
): ConfigFile<K['key']> {
  type Key = K['key']
  const result: ConfigFile<Key> = {exists: true, lines: {}, path, unknown: [], values: {}}
  const wanted = table.section?.toLowerCase()
  const form = wanted === undefined ? 'KEY = value' : '[section], KEY = value'
  let section: string | undefined
  let sawSection = false
  for (const [index, raw] of text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .entries()) {
    const lineNo = index + 1
    const line = wanted === undefined ? raw.trim().replace(/^export\s+/, '') : raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = wanted === undefined ? null : SECTION.exec(line)
    if (header) {
      section = header[1].trim()
      if (section === '') throw malformedConfig(path, lineNo, 'an empty section name', `write [${table.section}]`)
      if (section.toLowerCase() === wanted) sawSection = true
      continue
    }

    const pair = KEY_VALUE.exec(line)
    const name = pair ? String(iniUnquote(pair[1])) : ''
    if (!pair || name === '')
      throw malformedConfig(
        path,
        lineNo,
        `"${clip(line)}" is not a ${form} or # comment line`,
        'fix or comment out that line',
      )
    if (wanted !== undefined && section === undefined)
      throw malformedConfig(
        path,
        lineNo,
        `${name} is set before any [section]`,
        `put the keys under a [${table.section}] line`,
      )
    if (wanted !== undefined && section?.toLowerCase() !== wanted) continue
    const key = table.keyFor(name)
    if (key === undefined) {
      result.unknown.push({line: lineNo, name})
      continue
    }

    const earlier = result.lines[key as Key]
    if (earlier)
      throw malformedConfig(
        path,
        lineNo,
        `${key} is set again (as ${name}; first on line ${earlier.line} as ${earlier.name})`,
        'keep one of them',
      )
    result.lines[key as Key] = {line: lineNo, name}
    // The ini package turns some quoted values into numbers or booleans ('22', 'true'): inputs are strings.
    const value = String(iniUnquote(pair[2]))
    if (value !== '') result.values[key as Key] = value
  }

  if (wanted !== undefined && !sawSection)
    throw new HyopsError(ExitCode.ConfigInvalid, `config ${path} has no [${table.section}] section`, {
      hint: `add a [${table.section}] line above the keys`,
      reason: 'config-malformed',
    })
  for (const key of Object.keys(result.lines) as Key[]) if (result.values[key] === undefined) delete result.lines[key]
  return result
}

function decodeUtf8(bytes: Buffer, path: string): string {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    // Find the first line that does not decode, to name it.
    const decoder = new TextDecoder('utf-8', {fatal: true})
    let start = 0
    let lineNo = 1
    while (start <= bytes.length) {
      const end = bytes.indexOf(0x0a, start)
      const stop = end === -1 ? bytes.length : end
      try {
        decoder.decode(bytes.subarray(start, stop))
      } catch {
        break
      }

      if (end === -1) break
      start = end + 1
      lineNo++
    }

    throw new HyopsError(ExitCode.ConfigInvalid, `config ${path} line ${lineNo} is not valid UTF-8`, {
      hint: 'save the file as UTF-8',
      reason: 'config-malformed',
    })
  }
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
