import {unsafe as iniUnquote} from 'ini'
import {isIP} from 'node:net'
import {dirname, isAbsolute, resolve} from 'node:path'

import {ExitCode, HyopsError} from '../../errors.js'
import {CA_FILE_MAX_BYTES, readUserFile, readUserText, unreadableReason} from '../../runtime/user-file.js'
import {expandHome} from '../../runtime/root.js'
import {
  CONFIG_KEYS,
  type ConfigKey,
  configKeyForName,
  configKeySpec,
  type ConfigKeySpec,
  PLACEHOLDER_HOSTS,
} from './keys.js'
import type {InputSource, ProxmoxInputs} from '../types.js'
import {
  PRIVILEGE_NAME,
  PRIVILEGE_PROFILE_NAMES,
  type PrivilegeProfileName,
  profilePrivileges,
  splitPrivileges,
} from '../permissions/profiles.js'

/** Where a key was found in the config file. */
export interface ConfigKeyLocation {
  /** 1-based line number. */
  line: number
  /** The name as written (`PROXMOX_IP`, or an alias such as `host`). */
  name: string
}

/** The `[proxmox]` section of a config file, read and checked for form (not for values). */
export interface ProxmoxConfigFile {
  path: string
  exists: boolean
  /** Non-empty values by annex key; an empty value (`KEY =`) counts as unset. */
  values: Partial<Record<ConfigKey, string>>
  /** Where each key of `values` was written. */
  lines: Partial<Record<ConfigKey, ConfigKeyLocation>>
  /** Keys in `[proxmox]` that hyops does not know (typos?): worth a warning, not an error. */
  unknown: ConfigKeyLocation[]
}

const SECTION = /^\[([^\]]*)\]$/
const KEY_VALUE = /^([^=]+)=(.*)$/

/**
 * Reads `<path>` as INI: a missing file is `exists: false`; a file that is not UTF-8, a line
 * that is neither `[section]`, `KEY = value`, a `#`/`;` comment nor blank, a key before any
 * section, a key set twice, or no `[proxmox]` section is exit 11 naming the file and line.
 * Keys match the annex names and the legacy aliases in any case; values are unquoted and
 * inline comments dropped by the `ini` package's rules.
 */
export async function readProxmoxConfig(path: string): Promise<ProxmoxConfigFile> {
  let bytes: Buffer
  try {
    bytes = await readUserFile(path, {maxBytes: CONFIG_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return {exists: false, lines: {}, path, unknown: [], values: {}}
    if (code === 'EFBIG')
      throw new HyopsError(ExitCode.ConfigInvalid, `config ${path} is larger than ${CONFIG_MAX_BYTES / 1024} KiB`, {
        hint: 'give a Proxmox config file with --config (a few lines of KEY = value)',
        reason: 'config-unreadable',
      })
    throw new HyopsError(ExitCode.ConfigInvalid, `cannot read config ${path}: ${unreadableReason(error)}`, {
      hint: 'give a readable file with --config',
      reason: 'config-unreadable',
    })
  }

  return parseProxmoxConfig(decodeUtf8(bytes, path), path)
}

/** A config file is a few hundred bytes; anything past this (`/dev/zero`?) is refused unread. */
export const CONFIG_MAX_BYTES = 256 * 1024

/** Parses config text (see `readProxmoxConfig`); `path` is only for messages. */
export function parseProxmoxConfig(text: string, path: string): ProxmoxConfigFile {
  const result: ProxmoxConfigFile = {exists: true, lines: {}, path, unknown: [], values: {}}
  let section: string | undefined
  let sawProxmox = false
  const lines = text.split(/\r\n|\r|\n/)
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = SECTION.exec(line)
    if (header) {
      section = header[1].trim()
      if (section === '') throw malformed(path, lineNo, 'an empty section name', 'write [proxmox]')
      if (section.toLowerCase() === 'proxmox') sawProxmox = true
      continue
    }

    const pair = KEY_VALUE.exec(line)
    const name = pair ? String(iniUnquote(pair[1])) : ''
    if (!pair || name === '') {
      throw malformed(
        path,
        lineNo,
        `"${clip(line)}" is not a [section], KEY = value or # comment line`,
        'fix or comment out that line',
      )
    }

    if (section === undefined)
      throw malformed(path, lineNo, `${name} is set before any [section]`, 'put the keys under a [proxmox] line')
    if (section.toLowerCase() !== 'proxmox') continue
    const key = configKeyForName(name)
    if (key === undefined) {
      result.unknown.push({line: lineNo, name})
      continue
    }

    const earlier = result.lines[key]
    if (earlier) {
      throw malformed(
        path,
        lineNo,
        `${key} is set again (as ${name}; first on line ${earlier.line} as ${earlier.name})`,
        'keep one of them',
      )
    }

    result.lines[key] = {line: lineNo, name}
    // The ini package turns some quoted values into numbers or booleans ('22', 'true'): inputs are strings.
    const value = String(iniUnquote(pair[2]))
    if (value !== '') result.values[key] = value
  }

  if (!sawProxmox) {
    throw new HyopsError(ExitCode.ConfigInvalid, `config ${path} has no [proxmox] section`, {
      hint: 'add a [proxmox] line above the keys',
      reason: 'config-malformed',
    })
  }

  for (const key of Object.keys(result.lines) as ConfigKey[])
    if (result.values[key] === undefined) delete result.lines[key]
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

function malformed(path: string, line: number, what: string, hint: string): HyopsError {
  return new HyopsError(ExitCode.ConfigInvalid, `config ${path} line ${line}: ${what}`, {
    hint,
    reason: 'config-malformed',
  })
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** What `resolveProxmoxInputs` resolves from. */
export interface ProxmoxInputSources {
  /** Parsed flags; only the config keys' flag names are read (strings, as oclif gives them). */
  flags: Readonly<Record<string, unknown>>
  /** Defaults to `process.env`. */
  environment?: NodeJS.ProcessEnv
  /** The config file as read; undefined or `exists: false` when there is none. */
  config?: ProxmoxConfigFile
  /** The config path, for messages that tell where to set a key. */
  configPath: string
  /** Accept the template's placeholder PROXMOX_IP (for a run that never contacts the host). */
  allowPlaceholderHost?: boolean
}

interface Candidate {
  value: string
  source: InputSource
  /** For messages: `--api-port`, `HYOPS_PROXMOX_API_PORT`, `/r/config/proxmox.conf line 3 (port)`, `default`. */
  where: string
  /** Directory relative paths resolve against (the config file's for config values). */
  baseDir?: string
}

const LEVELS = ['flag', 'env', 'config'] as const
const RANK: readonly InputSource[] = ['flag', 'env', 'config', 'default']

/**
 * Resolves every input of `hyops init proxmox`: flags > `HYOPS_PROXMOX_*` env > config >
 * defaults, with the source of each field. A bad value is exit 11 naming the key, where it
 * came from and the value; a missing PROXMOX_IP or USER_FQ is exit 11 naming the file, flag
 * and env var that set it. Paths have `~` expanded (relative ones in the config resolve
 * against the config file's directory).
 */
export function resolveProxmoxInputs(sources: ProxmoxInputSources): ProxmoxInputs {
  const environment = sources.environment ?? process.env
  const fieldSources: ProxmoxInputs['sources'] = {}

  const candidateAt = (spec: ConfigKeySpec, level: (typeof LEVELS)[number]): Candidate | undefined =>
    printable(spec, rawCandidateAt(spec, level))

  const rawCandidateAt = (spec: ConfigKeySpec, level: (typeof LEVELS)[number]): Candidate | undefined => {
    if (level === 'flag') {
      const value = sources.flags[spec.flag]
      return typeof value === 'string' && value.trim() !== ''
        ? {source: 'flag', value: value.trim(), where: `--${spec.flag}`}
        : undefined
    }

    if (level === 'env') {
      const value = environment[spec.env]
      return value !== undefined && value.trim() !== ''
        ? {source: 'env', value: value.trim(), where: spec.env}
        : undefined
    }

    const config = sources.config
    const key = spec.key as ConfigKey
    const value = config?.exists ? config.values[key] : undefined
    if (value === undefined || config === undefined) return undefined
    const at = config.lines[key]
    const where = at ? `${config.path} line ${at.line}${at.name === spec.key ? '' : ` (${at.name})`}` : config.path
    return {baseDir: dirname(config.path), source: 'config', value: value.trim(), where}
  }

  const pick = (key: ConfigKey): Candidate | undefined => {
    const spec = configKeySpec(key)
    for (const level of LEVELS) {
      const candidate = candidateAt(spec, level)
      if (candidate) return candidate
    }

    return spec.default === undefined ? undefined : {source: 'default', value: spec.default, where: 'default'}
  }

  // USER_FQ and TOKEN_NAME may come from API_TOKEN_ID (user@realm!name) at the same level.
  const pickTokenPart = (key: 'TOKEN_NAME' | 'USER_FQ'): Candidate | undefined => {
    const spec = configKeySpec(key)
    for (const level of LEVELS) {
      const explicit = candidateAt(spec, level)
      const idCandidate = candidateAt(configKeySpec('API_TOKEN_ID'), level)
      const derived = idCandidate ? splitTokenId(idCandidate)[key === 'USER_FQ' ? 0 : 1] : undefined
      if (explicit && derived && explicit.value !== derived.value) {
        throw invalid(
          'API_TOKEN_ID',
          idCandidate as Candidate,
          `consistent with ${key} "${explicit.value}" (${explicit.where})`,
          'keep one of them, or make them agree',
        )
      }

      if (explicit ?? derived) return explicit ?? derived
    }

    return spec.default === undefined ? undefined : {source: 'default', value: spec.default, where: 'default'}
  }

  const required = (key: ConfigKey, candidate: Candidate | undefined): Candidate => {
    if (candidate) return candidate
    const spec = configKeySpec(key)
    throw new HyopsError(ExitCode.ConfigInvalid, `${key} is not set`, {
      hint: `set ${key} in ${sources.configPath}, pass --${spec.flag} or set ${spec.env}`,
      reason: 'missing-key',
    })
  }

  const hostCandidate = required('PROXMOX_IP', pick('PROXMOX_IP'))
  const host = checkHost(hostCandidate)
  if (!sources.allowPlaceholderHost && isPlaceholderHost(host)) {
    throw new HyopsError(
      ExitCode.ConfigInvalid,
      `PROXMOX_IP is still the template's placeholder ${host} (${hostCandidate.where})`,
      {
        hint: `edit ${sources.configPath}: set PROXMOX_IP to your Proxmox host (or pass --proxmox-ip)`,
        reason: 'placeholder-host',
      },
    )
  }

  fieldSources.host = hostCandidate.source

  const userFqCandidate = required('USER_FQ', pickTokenPart('USER_FQ'))
  const userFq = checkUserFq('USER_FQ', userFqCandidate)
  fieldSources.userFq = userFqCandidate.source
  const tokenNameCandidate = pickTokenPart('TOKEN_NAME') as Candidate
  const tokenName = checkTokenName('TOKEN_NAME', tokenNameCandidate)
  fieldSources.tokenName = tokenNameCandidate.source
  // The token id came from wherever its more explicit half came from.
  fieldSources.tokenId =
    RANK.indexOf(userFqCandidate.source) <= RANK.indexOf(tokenNameCandidate.source)
      ? userFqCandidate.source
      : tokenNameCandidate.source

  const take = <T>(key: ConfigKey, check: (key: ConfigKey, c: Candidate) => T): T | undefined => {
    const candidate = pick(key)
    if (candidate === undefined) return undefined
    const field = configKeySpec(key).field
    if (field) fieldSources[field] = candidate.source
    return check(key, candidate)
  }

  const fallbackStorageIso = take('FALLBACK_STORAGE_ISO', checkStorage) as string
  let fallbackStorageSnippets = take('FALLBACK_STORAGE_SNIPPETS', checkStorage)
  if (fallbackStorageSnippets === undefined) {
    fallbackStorageSnippets = fallbackStorageIso
    fieldSources.fallbackStorageSnippets = 'default'
  }

  const inputs: ProxmoxInputs = {
    apiHost: take('PROXMOX_API_HOST', (key, candidate) => checkHost(candidate, key)),
    apiPort: take('PROXMOX_API_PORT', checkPort) as number,
    fallbackBridge: take('FALLBACK_BRIDGE', checkBridge) as string,
    fallbackStorageIso,
    fallbackStorageSnippets,
    fallbackStorageVm: take('FALLBACK_STORAGE_VM', checkStorage) as string,
    host,
    httpBindAddress: take('HTTP_BIND_ADDRESS', checkAddress),
    httpPort: take('HTTP_PORT', checkPort) as number,
    sources: fieldSources,
    sshConfig: take('PROXMOX_SSH_CONFIG', checkSshConfig),
    sshKey: take('PROXMOX_SSH_KEY', checkPath) as string,
    sshPort: take('PROXMOX_SSH_PORT', checkPort) as number,
    sshPublicKey: take('SSH_PUBLIC_KEY', checkPublicKey),
    sshSudo: take('PROXMOX_SSH_SUDO', checkBool),
    providerSshUser: take('PROVIDER_SSH_USER', checkAccount),
    providerSshIdmap: take('PROVIDER_SSH_IDMAP', checkBool) as boolean,
    sshUsername: take('PROXMOX_SSH_USERNAME', checkUsername) as string,
    tlsCaFile: take('TLS_CA_FILE', checkPath),
    tlsSkip: take('TLS_SKIP', checkBool) as boolean,
    tokenComment: take('TOKEN_COMMENT', checkComment) as string,
    tokenExpireDays: take('TOKEN_EXPIRE', checkDays) as number,
    tokenId: `${userFq}!${tokenName}`,
    tokenName,
    tokenPrivsep: take('TOKEN_PRIVSEP', checkBool) as boolean,
    userFq,
    ...resolvePermissions(pick, take),
  }
  for (const key of Object.keys(inputs) as Array<keyof ProxmoxInputs>) if (inputs[key] === undefined) delete inputs[key]
  return inputs
}

/** Every annex key resolved to its text form, for evidence and summaries (no secret here). */
export function describeProxmoxInputs(inputs: ProxmoxInputs): Record<string, string> {
  const out: Record<string, string> = {}
  for (const spec of CONFIG_KEYS) {
    if (!('field' in spec)) continue
    const value = inputs[spec.field]
    if (value !== undefined) out[spec.key] = String(value)
  }

  return out
}

function invalid(key: string, candidate: Candidate, what: string, hint: string): HyopsError {
  return new HyopsError(
    ExitCode.ConfigInvalid,
    `${key} ${quoteShort(candidate.value)} (${candidate.where}) is not ${what}`,
    {
      hint,
      reason: 'invalid-value',
    },
  )
}

/** A value quoted for a message: whole up to 100 characters, else its first 60 and how long it was. */
export function quoteShort(value: string): string {
  return value.length > 100
    ? `${JSON.stringify(value.slice(0, 60))}... (${value.length} characters)`
    : JSON.stringify(value)
}

// NUL, newlines and the other C0 controls (a tab is allowed) and DEL: no input of hyops holds one.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/

/** Refuses a value holding a control character (exit 11 naming the key and where it came from). */
function printable(spec: ConfigKeySpec, candidate: Candidate | undefined): Candidate | undefined {
  if (candidate === undefined || !CONTROL.test(candidate.value)) return candidate
  const code = candidate.value.codePointAt(candidate.value.search(CONTROL))!
  const name = `U+${code.toString(16).padStart(4, '0').toUpperCase()}`
  throw new HyopsError(ExitCode.ConfigInvalid, `${spec.key} (${candidate.where}) holds a control character (${name})`, {
    hint: `give ${spec.key} without NUL, newline or other control characters`,
    reason: 'invalid-value',
  })
}

const REALM = /^[A-Za-z][A-Za-z0-9._-]+$/
const TOKEN_NAME = /^[A-Za-z][A-Za-z0-9._-]+$/
const USER = /^[^\s:/]+$/
const STORAGE = /^[A-Za-z][A-Za-z0-9._-]*[A-Za-z0-9]$/
const BRIDGE = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/
const USERNAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/
const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/
const PUBLIC_KEY_TEXT = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)\s+[A-Za-z0-9+/=]+(\s.*)?$/

/** True for an IPv4/IPv6 address or an RFC 1123 hostname. */
export function isValidHost(value: string): boolean {
  // A zone id (fe80::1%eth0) cannot be put into an https URL.
  if (value.includes('%')) return false
  if (isIP(value) !== 0) return true
  const name = value.endsWith('.') ? value.slice(0, -1) : value
  if (name.length === 0 || name.length > 253) return false
  const labels = name.split('.')
  // Dotted digits that are not an IPv4 address (300.1.2.3) are a typo, not a hostname.
  if (labels.every((label) => /^\d+$/.test(label))) return false
  return labels.every((label) => HOST_LABEL.test(label))
}

function checkHost(candidate: Candidate, key = 'PROXMOX_IP'): string {
  const value =
    candidate.value.startsWith('[') && candidate.value.endsWith(']') ? candidate.value.slice(1, -1) : candidate.value
  if (!isValidHost(value))
    throw invalid(
      key,
      candidate,
      'an IPv4/IPv6 address or a hostname',
      'give the Proxmox host as an address (192.0.2.10, fd00::10) or a DNS name',
    )
  return value
}

/** True for a Proxmox `user@realm` (3-64 chars; user without whitespace, `:` or `/`). */
export function isValidUserFq(value: string): boolean {
  const at = value.lastIndexOf('@')
  if (value.length < 3 || value.length > 64 || at <= 0) return false
  return USER.test(value.slice(0, at)) && REALM.test(value.slice(at + 1))
}

function checkUserFq(key: string, candidate: Candidate): string {
  if (!isValidUserFq(candidate.value)) {
    throw invalid(
      key,
      candidate,
      'a Proxmox user@realm',
      'use user@realm, 3-64 characters, e.g. automation@pam; the user has no whitespace, : or /, ' +
        'the realm is [A-Za-z][A-Za-z0-9._-]+',
    )
  }

  return candidate.value
}

/** True for a Proxmox token name: `[A-Za-z][A-Za-z0-9._-]+`. */
export function isValidTokenName(value: string): boolean {
  return TOKEN_NAME.test(value)
}

function checkTokenName(key: string, candidate: Candidate): string {
  if (!isValidTokenName(candidate.value)) {
    throw invalid(
      key,
      candidate,
      'a Proxmox token name',
      'use a letter, then letters, digits, . _ or - (at least 2 characters), e.g. infra-token',
    )
  }

  return candidate.value
}

function splitTokenId(candidate: Candidate): [Candidate, Candidate] {
  const bang = candidate.value.lastIndexOf('!')
  const userFq = {...candidate, value: candidate.value.slice(0, bang)}
  const tokenName = {...candidate, value: candidate.value.slice(bang + 1)}
  if (bang <= 0 || !isValidUserFq(userFq.value) || !isValidTokenName(tokenName.value)) {
    throw invalid(
      'API_TOKEN_ID',
      candidate,
      'a Proxmox token id user@realm!name',
      'use e.g. automation@pam!infra-token, or set USER_FQ and TOKEN_NAME instead',
    )
  }

  return [userFq, tokenName]
}

/** Parses 1-65535; undefined for anything else. */
export function parsePort(value: string): number | undefined {
  if (!/^\d{1,5}$/.test(value)) return undefined
  const port = Number(value)
  return port >= 1 && port <= 65_535 ? port : undefined
}

function checkPort(key: string, candidate: Candidate): number {
  const port = parsePort(candidate.value)
  if (port === undefined) throw invalid(key, candidate, 'a port', 'use a number from 1 to 65535')
  return port
}

/** true/false/1/0/yes/no in any case; undefined for anything else. */
export function parseBool(value: string): boolean | undefined {
  const lower = value.trim().toLowerCase()
  if (['1', 'true', 'yes'].includes(lower)) return true
  if (['0', 'false', 'no'].includes(lower)) return false
  return undefined
}

function checkBool(key: string, candidate: Candidate): boolean {
  const value = parseBool(candidate.value)
  if (value === undefined) throw invalid(key, candidate, 'a boolean', 'use true, false, yes, no, 1 or 0')
  return value
}

function checkStorage(key: string, candidate: Candidate): string {
  if (!STORAGE.test(candidate.value))
    throw invalid(
      key,
      candidate,
      'a Proxmox storage id',
      'use a letter, then letters, digits, . _ or -, e.g. local-lvm',
    )
  return candidate.value
}

function checkBridge(key: string, candidate: Candidate): string {
  if (!BRIDGE.test(candidate.value))
    throw invalid(key, candidate, 'a network interface name', 'use a bridge name such as vmbr0 (at most 15 characters)')
  return candidate.value
}

function checkUsername(key: string, candidate: Candidate): string {
  if (!USERNAME.test(candidate.value))
    throw invalid(key, candidate, 'a user name', 'use a Unix login name such as root')
  return candidate.value
}

const ACCOUNT = /^[a-z_][a-z0-9_-]{0,31}$/

function checkAccount(key: string, candidate: Candidate): string {
  if (!ACCOUNT.test(candidate.value) || candidate.value === 'root')
    throw invalid(key, candidate, 'a new Linux account name', 'use a lower-case name other than root, e.g. terraform')
  return candidate.value
}

function checkAddress(key: string, candidate: Candidate): string {
  if (isIP(candidate.value) === 0)
    throw invalid(
      key,
      candidate,
      'an IP address',
      'use an address of this machine (or 0.0.0.0), or leave it unset to autodetect',
    )
  return candidate.value
}

/** PRIVILEGE_PROFILE, PRIVILEGES (only with `custom`, then required) and ROLE_NAME. */
function resolvePermissions(
  pick: (key: ConfigKey) => Candidate | undefined,
  take: <T>(key: ConfigKey, check: (key: ConfigKey, c: Candidate) => T) => T | undefined,
): Pick<ProxmoxInputs, 'privilegeProfile' | 'privileges' | 'roleName'> {
  const privilegeProfile = take('PRIVILEGE_PROFILE', checkProfile) as PrivilegeProfileName
  const listed = pick('PRIVILEGES')
  if (privilegeProfile !== 'custom' && listed)
    throw invalid(
      'PRIVILEGES',
      listed,
      `read with PRIVILEGE_PROFILE ${privilegeProfile}`,
      'set PRIVILEGE_PROFILE = custom to use your own list, or remove PRIVILEGES',
    )
  if (privilegeProfile === 'custom' && !listed)
    throw new HyopsError(ExitCode.ConfigInvalid, 'PRIVILEGE_PROFILE is custom, but PRIVILEGES is not set', {
      hint:
        "set PRIVILEGES to the role's privileges (e.g. VM.Audit,VM.PowerMgmt), or pick a profile: terraform, " +
        'packer or minimal',
      reason: 'missing-key',
    })
  const custom = take('PRIVILEGES', checkPrivileges) ?? []
  return {
    privilegeProfile,
    privileges: profilePrivileges(privilegeProfile, custom),
    roleName: take('ROLE_NAME', checkRoleName) as string,
  }
}

function checkProfile(key: string, candidate: Candidate): PrivilegeProfileName {
  const name = candidate.value.toLowerCase()
  if (!(PRIVILEGE_PROFILE_NAMES as readonly string[]).includes(name))
    throw invalid(key, candidate, 'a privilege profile', `use one of ${PRIVILEGE_PROFILE_NAMES.join(', ')}`)
  return name as PrivilegeProfileName
}

function checkPrivileges(key: string, candidate: Candidate): string[] {
  const list = splitPrivileges(candidate.value)
  const bad = list.find((p) => !PRIVILEGE_NAME.test(p))
  if (list.length === 0 || bad !== undefined)
    throw invalid(
      key,
      {...candidate, value: bad ?? candidate.value},
      'a list of Proxmox privileges',
      'use names such as VM.Audit,VM.PowerMgmt,Datastore.AllocateSpace, separated by commas',
    )
  return list
}

// pve-access-control verify_rolename; built-in roles cannot be changed and from 8 on new ids starting with
// PVE are reserved.
function checkRoleName(key: string, candidate: Candidate): string {
  const name = candidate.value
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
    throw invalid(key, candidate, 'a role name', 'use letters, digits, . _ or -, e.g. HyopsAutomation')
  if (/^pve/i.test(name) || ['Administrator', 'NoAccess'].includes(name))
    throw invalid(
      key,
      candidate,
      'a role hyops may manage',
      'built-in roles cannot be changed and names starting with PVE are reserved: use e.g. HyopsAutomation',
    )
  return name
}

function checkDays(key: string, candidate: Candidate): number {
  if (!/^\d{1,5}$/.test(candidate.value))
    throw invalid(key, candidate, 'a number of days', 'use 0 (never expires) or a number of days such as 90')
  return Number(candidate.value)
}

function checkComment(key: string, candidate: Candidate): string {
  if (candidate.value.length > 200)
    throw invalid(key, candidate, 'a short comment', 'keep TOKEN_COMMENT under 200 characters')
  return candidate.value
}

function checkPath(key: string, candidate: Candidate): string {
  if (/[\0\r\n]/.test(candidate.value)) throw invalid(key, candidate, 'a file path', 'give the path of a file')
  return resolvePath(candidate)
}

function checkSshConfig(key: string, candidate: Candidate): string {
  return candidate.value.toLowerCase() === 'none' ? 'none' : checkPath(key, candidate)
}

function resolvePath(candidate: Candidate): string {
  const expanded = expandHome(candidate.value)
  if (isAbsolute(expanded)) return expanded
  return candidate.baseDir ? resolve(candidate.baseDir, expanded) : resolve(expanded)
}

function checkPublicKey(key: string, candidate: Candidate): string {
  if (/[\0\r\n]/.test(candidate.value))
    throw invalid(key, candidate, 'a public key or a .pub file', 'give one line of key text or the path of a .pub file')
  return PUBLIC_KEY_TEXT.test(candidate.value) ? candidate.value : resolvePath(candidate)
}

/** True when a PROXMOX_IP is one of the templates' placeholders. */
export function isPlaceholderHost(host: string): boolean {
  return PLACEHOLDER_HOSTS.includes(host.toLowerCase())
}

/**
 * Reads TLS_CA_FILE: exit 11 naming the key and the file when it cannot be read or holds no
 * PEM certificate.
 */
export async function readTlsCaFile(path: string): Promise<string> {
  let text: string
  try {
    text = await readUserText(path, {maxBytes: CA_FILE_MAX_BYTES})
  } catch (error) {
    throw new HyopsError(ExitCode.ConfigInvalid, `TLS_CA_FILE ${path} cannot be read (${unreadableReason(error)})`, {
      hint:
        'give the PEM file of the CA that signs the Proxmox API certificate (a copy of ' +
        '/etc/pve/pve-root-ca.pem), or unset TLS_CA_FILE',
      reason: 'invalid-value',
    })
  }

  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new HyopsError(ExitCode.ConfigInvalid, `TLS_CA_FILE ${path} holds no PEM certificate`, {
      hint: 'give the PEM file of the CA (-----BEGIN CERTIFICATE-----)',
      reason: 'invalid-value',
    })
  }

  return text
}
