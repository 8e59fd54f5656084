import {isIP} from 'node:net'
import {isAbsolute, resolve} from 'node:path'

import {expandHome} from '../runtime/root.js'
import {invalidValue} from './errors.js'
import type {Candidate, ValueCheck} from './types.js'

/** Parses 1-65535; undefined for anything else. */
export function parsePort(value: string): number | undefined {
  if (!/^\d{1,5}$/.test(value)) return undefined
  const port = Number(value)
  return port >= 1 && port <= 65_535 ? port : undefined
}

/** true/false/1/0/yes/no in any case; undefined for anything else. */
export function parseBool(value: string): boolean | undefined {
  const lower = value.trim().toLowerCase()
  if (['1', 'true', 'yes'].includes(lower)) return true
  if (['0', 'false', 'no'].includes(lower)) return false
  return undefined
}

/** A path with `~` expanded; a relative one against the candidate's directory (the config file's for its values). */
export function resolveConfigPath(candidate: Candidate): string {
  const expanded = expandHome(candidate.value)
  if (isAbsolute(expanded)) return expanded
  return candidate.baseDir ? resolve(candidate.baseDir, expanded) : resolve(expanded)
}

const checkText: ValueCheck<string> = (candidate) => candidate.value

const checkBool: ValueCheck<boolean> = (candidate, key) => {
  const value = parseBool(candidate.value)
  if (value === undefined) throw invalidValue(key, candidate, 'a boolean', 'use true, false, yes, no, 1 or 0')
  return value
}

const checkPort: ValueCheck<number> = (candidate, key) => {
  const port = parsePort(candidate.value)
  if (port === undefined) throw invalidValue(key, candidate, 'a port', 'use a number from 1 to 65535')
  return port
}

const checkPath: ValueCheck<string> = (candidate, key) => {
  if (/[\0\r\n]/.test(candidate.value)) throw invalidValue(key, candidate, 'a file path', 'give the path of a file')
  return resolveConfigPath(candidate)
}

const checkAddress: ValueCheck<string> = (candidate, key) => {
  if (isIP(candidate.value) === 0)
    throw invalidValue(
      key,
      candidate,
      'an IP address',
      'use an address of this machine (or 0.0.0.0), or leave it unset to autodetect',
    )
  return candidate.value
}

const checkDays: ValueCheck<number> = (candidate, key) => {
  if (!/^\d{1,5}$/.test(candidate.value))
    throw invalidValue(key, candidate, 'a number of days', 'use 0 (never expires) or a number of days such as 90')
  return Number(candidate.value)
}

const checkComment: ValueCheck<string> = (candidate, key) => {
  if (candidate.value.length > 200)
    throw invalidValue(key, candidate, 'a short comment', `keep ${key} under 200 characters`)
  return candidate.value
}

/**
 * The checks every config table has, by kind: `text` (any value), `bool` (true/false/yes/no/1/0),
 * `port` (1-65535), `path` (`~` expanded, relative to the config file), `address` (an IP),
 * `days` (0-99999) and `comment` (under 200 characters).
 */
export const BUILTIN_CHECKS: Readonly<Record<string, ValueCheck>> = {
  address: checkAddress,
  bool: checkBool,
  comment: checkComment,
  days: checkDays,
  path: checkPath,
  port: checkPort,
  text: checkText,
}
