import {isIP} from 'node:net'

import {BUILTIN_CHECKS, resolveConfigPath} from '../../config/checks.js'
import {invalidValue} from '../../config/errors.js'
import type {Candidate, ValueCheck} from '../../config/types.js'
import {
  PRIVILEGE_NAME,
  PRIVILEGE_PROFILE_NAMES,
  type PrivilegeProfileName,
  splitPrivileges,
} from '../permissions/profiles.js'

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

/** True for a Proxmox `user@realm` (3-64 chars; user without whitespace, `:` or `/`). */
export function isValidUserFq(value: string): boolean {
  const at = value.lastIndexOf('@')
  if (value.length < 3 || value.length > 64 || at <= 0) return false
  return USER.test(value.slice(0, at)) && REALM.test(value.slice(at + 1))
}

/** True for a Proxmox token name: `[A-Za-z][A-Za-z0-9._-]+`. */
export function isValidTokenName(value: string): boolean {
  return TOKEN_NAME.test(value)
}

const checkHost: ValueCheck<string> = (candidate, key) => {
  const value =
    candidate.value.startsWith('[') && candidate.value.endsWith(']') ? candidate.value.slice(1, -1) : candidate.value
  if (!isValidHost(value))
    throw invalidValue(
      key,
      candidate,
      'an IPv4/IPv6 address or a hostname',
      'give the Proxmox host as an address (192.0.2.10, fd00::10) or a DNS name',
    )
  return value
}

const checkUserFq: ValueCheck<string> = (candidate, key) => {
  if (!isValidUserFq(candidate.value))
    throw invalidValue(
      key,
      candidate,
      'a Proxmox user@realm',
      'use user@realm, 3-64 characters, e.g. automation@pam; the user has no whitespace, : or /, ' +
        'the realm is [A-Za-z][A-Za-z0-9._-]+',
    )
  return candidate.value
}

const checkTokenName: ValueCheck<string> = (candidate, key) => {
  if (!isValidTokenName(candidate.value))
    throw invalidValue(
      key,
      candidate,
      'a Proxmox token name',
      'use a letter, then letters, digits, . _ or - (at least 2 characters), e.g. infra-token',
    )
  return candidate.value
}

/** API_TOKEN_ID `user@realm!name` split into its USER_FQ and TOKEN_NAME candidates. */
const checkTokenId: ValueCheck<[Candidate, Candidate]> = (candidate, key) => {
  const bang = candidate.value.lastIndexOf('!')
  const userFq = {...candidate, value: candidate.value.slice(0, bang)}
  const tokenName = {...candidate, value: candidate.value.slice(bang + 1)}
  if (bang <= 0 || !isValidUserFq(userFq.value) || !isValidTokenName(tokenName.value))
    throw invalidValue(
      key,
      candidate,
      'a Proxmox token id user@realm!name',
      'use e.g. automation@pam!infra-token, or set USER_FQ and TOKEN_NAME instead',
    )
  return [userFq, tokenName]
}

const checkStorage: ValueCheck<string> = (candidate, key) => {
  if (!STORAGE.test(candidate.value))
    throw invalidValue(
      key,
      candidate,
      'a Proxmox storage id',
      'use a letter, then letters, digits, . _ or -, e.g. local-lvm',
    )
  return candidate.value
}

const checkBridge: ValueCheck<string> = (candidate, key) => {
  if (!BRIDGE.test(candidate.value))
    throw invalidValue(
      key,
      candidate,
      'a network interface name',
      'use a bridge name such as vmbr0 (at most 15 characters)',
    )
  return candidate.value
}

const checkUsername: ValueCheck<string> = (candidate, key) => {
  if (!USERNAME.test(candidate.value))
    throw invalidValue(key, candidate, 'a user name', 'use a Unix login name such as root')
  return candidate.value
}

const ACCOUNT = /^[a-z_][a-z0-9_-]{0,31}$/

const checkAccount: ValueCheck<string> = (candidate, key) => {
  if (!ACCOUNT.test(candidate.value) || candidate.value === 'root')
    throw invalidValue(
      key,
      candidate,
      'a new Linux account name',
      'use a lower-case name other than root, e.g. terraform',
    )
  return candidate.value
}

const checkSshConfig: ValueCheck<string> = (candidate, key) =>
  candidate.value.toLowerCase() === 'none' ? 'none' : (BUILTIN_CHECKS.path(candidate, key) as string)

const checkPublicKey: ValueCheck<string> = (candidate, key) => {
  if (/[\0\r\n]/.test(candidate.value))
    throw invalidValue(
      key,
      candidate,
      'a public key or a .pub file',
      'give one line of key text or the path of a .pub file',
    )
  return PUBLIC_KEY_TEXT.test(candidate.value) ? candidate.value : resolveConfigPath(candidate)
}

const checkProfile: ValueCheck<PrivilegeProfileName> = (candidate, key) => {
  const name = candidate.value.toLowerCase()
  if (!(PRIVILEGE_PROFILE_NAMES as readonly string[]).includes(name))
    throw invalidValue(key, candidate, 'a privilege profile', `use one of ${PRIVILEGE_PROFILE_NAMES.join(', ')}`)
  return name as PrivilegeProfileName
}

const checkPrivileges: ValueCheck<string[]> = (candidate, key) => {
  const list = splitPrivileges(candidate.value)
  const bad = list.find((p) => !PRIVILEGE_NAME.test(p))
  if (list.length === 0 || bad !== undefined)
    throw invalidValue(
      key,
      {...candidate, value: bad ?? candidate.value},
      'a list of Proxmox privileges',
      'use names such as VM.Audit,VM.PowerMgmt,Datastore.AllocateSpace, separated by commas',
    )
  return list
}

// pve-access-control verify_rolename; built-in roles cannot be changed and from 8 on new ids starting with
// PVE are reserved.
const checkRoleName: ValueCheck<string> = (candidate, key) => {
  const name = candidate.value
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
    throw invalidValue(key, candidate, 'a role name', 'use letters, digits, . _ or -, e.g. HyopsAutomation')
  if (/^pve/i.test(name) || ['Administrator', 'NoAccess'].includes(name))
    throw invalidValue(
      key,
      candidate,
      'a role hyops may manage',
      'built-in roles cannot be changed and names starting with PVE are reserved: use e.g. HyopsAutomation',
    )
  return name
}

/** The checks of the Proxmox key kinds, besides the built-in ones (bool, port, path, address, days, comment). */
export const PROXMOX_CHECKS: Readonly<Record<string, ValueCheck>> = {
  account: checkAccount,
  bridge: checkBridge,
  host: checkHost,
  'privilege-profile': checkProfile,
  privileges: checkPrivileges,
  'public-key': checkPublicKey,
  'role-name': checkRoleName,
  'ssh-config': checkSshConfig,
  storage: checkStorage,
  'token-id': checkTokenId,
  'token-name': checkTokenName,
  'user-fq': checkUserFq,
  username: checkUsername,
}
