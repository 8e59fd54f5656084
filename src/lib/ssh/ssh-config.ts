import {homedir, userInfo} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'

import SSHConfig from 'ssh-config'

import {ExitCode, HyopsError} from '../errors.js'
import {expandHome} from '../runtime/root.js'
import {readUserText, SMALL_FILE_MAX_BYTES, unreadableReason} from '../runtime/user-file.js'
import {spliceIncludes} from './ssh-includes.js'

/** What `~/.ssh/config` says about one host (first match wins, as in OpenSSH). */
export interface SshHostConfig {
  hostName?: string
  user?: string
  port?: number
  /** `IdentityFile` lines, `~` and `%h %r %u %%` expanded. */
  identityFiles: string[]
  identitiesOnly?: boolean
  /** `ProxyJump` hops, first hop first; `none` gives an empty list. */
  proxyJump?: SshHop[]
  userKnownHostsFiles?: string[]
  /** `yes`, `no`, `accept-new`, `ask` or `off`, lowercased. */
  strictHostKeyChecking?: string
}

/** One `[user@]host[:port]` of a ProxyJump list. */
export interface SshHop {
  host: string
  user?: string
  port?: number
}

/** A parsed ssh config file, or none. */
export interface SshConfigFile {
  path: string
  config?: SSHConfig
}

/** `~/.ssh/config`. */
export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config')
}

/**
 * Reads an OpenSSH client config. A missing file at the default path is no config; a missing
 * or unreadable file given explicitly (`key` names it) is exit 11. `Match exec` is never run.
 */
export async function readSshConfig(path: string, explicitKey?: string): Promise<SshConfigFile> {
  let text: string
  try {
    text = await readUserText(path, {maxBytes: SMALL_FILE_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && explicitKey === undefined) return {path}
    throw new HyopsError(ExitCode.ConfigInvalid, `cannot read the ssh config ${path}: ${unreadableReason(error)}`, {
      hint: explicitKey
        ? `point ${explicitKey} at a readable ssh_config file, or set it to none`
        : 'make it a readable regular file, or set PROXMOX_SSH_CONFIG=none',
      reason: 'ssh-config-unreadable',
    })
  }

  try {
    return {config: SSHConfig.parse(await spliceIncludes(resolve(path), text)), path}
  } catch (error) {
    if (error instanceof HyopsError) throw error
    throw new HyopsError(
      ExitCode.ConfigInvalid,
      `the ssh config ${path} cannot be parsed: ${(error as Error).message}`,
      {
        hint: 'fix the file (ssh -G <host> shows what OpenSSH reads), or set PROXMOX_SSH_CONFIG=none',
        reason: 'ssh-config-malformed',
      },
    )
  }
}

/** The settings for `alias` (what `ssh <alias>` would use), from the first matching lines. */
export function hostConfig(file: SshConfigFile, alias: string, user?: string): SshHostConfig {
  if (!file.config) return {identityFiles: []}
  const computed = file.config.compute(
    {Host: alias, ...(user ? {User: user} : {})},
    {ignoreCase: true, matchExec: false},
  )
  const one = (name: string): string | undefined => {
    const value = computed[name]
    const text = Array.isArray(value) ? value[0] : value
    return text === undefined || text === '' ? undefined : text
  }

  const many = (name: string): string[] => {
    const value = computed[name]
    if (value === undefined) return []
    return (Array.isArray(value) ? value : [value]).filter(Boolean)
  }

  const hostName = one('hostname')?.replace(/%h/g, alias)
  const port = one('port')
  const result: SshHostConfig = {identityFiles: []}
  if (hostName) result.hostName = hostName
  if (one('user')) result.user = one('user')
  if (port !== undefined) result.port = portOf(port, file.path, 'Port')
  const tokens = {h: hostName ?? alias, r: user ?? one('user') ?? localUser(), u: localUser()}
  result.identityFiles = many('identityfile')
    .filter((path) => path.toLowerCase() !== 'none')
    .map((path) => expandPath(path, tokens))
  const only = one('identitiesonly')?.toLowerCase()
  if (only !== undefined) result.identitiesOnly = only === 'yes' || only === 'true'
  const jump = one('proxyjump')
  if (jump !== undefined) result.proxyJump = parseProxyJump(jump, file.path)
  const knownHosts = many('userknownhostsfile').flatMap((value) => value.split(/\s+/))
  if (knownHosts.length > 0)
    result.userKnownHostsFiles = knownHosts
      .filter((path) => path.toLowerCase() !== 'none')
      .map((path) => expandPath(path, tokens))
  const strict = one('stricthostkeychecking')?.toLowerCase()
  if (strict) result.strictHostKeyChecking = strict
  return result
}

/** `ProxyJump a,user@b:2222,[fd00::1]:22`; `none` is no hop. Exit 11 on a hop that is not `[user@]host[:port]`. */
export function parseProxyJump(value: string, where = 'ProxyJump'): SshHop[] {
  if (value.trim().toLowerCase() === 'none') return []
  return value.split(',').map((raw) => {
    const text = raw.trim().replace(/^ssh:\/\//, '')
    const at = text.lastIndexOf('@')
    const user = at > 0 ? text.slice(0, at) : undefined
    const rest = at > 0 ? text.slice(at + 1) : text
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest)
    const plain = /^([^:[\]\s]+)(?::(\d+))?$/.exec(rest)
    const match = bracketed ?? plain
    if (!match || text === '') {
      throw new HyopsError(
        ExitCode.ConfigInvalid,
        `ProxyJump hop "${raw.trim()}" (${where}) is not [user@]host[:port]`,
        {
          hint: 'write ProxyJump as a comma list of [user@]host[:port]',
          reason: 'ssh-config-malformed',
        },
      )
    }

    return {
      host: match[1],
      ...(user ? {user} : {}),
      ...(match[2] ? {port: portOf(match[2], where, 'ProxyJump')} : {}),
    }
  })
}

/** The known_hosts files OpenSSH reads when UserKnownHostsFile is not set. */
export function defaultUserKnownHostsFiles(): string[] {
  return [join(homedir(), '.ssh', 'known_hosts'), join(homedir(), '.ssh', 'known_hosts2')]
}

/** The local login name, OpenSSH's default user for a jump host. */
export function localUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'root'
  }
}

function expandPath(path: string, tokens: Record<'h' | 'r' | 'u', string>): string {
  const text = path
    .replace(/^"(.*)"$/, '$1')
    .replace(/%([%hru])/g, (_, token: string) => (token === '%' ? '%' : tokens[token as 'h' | 'r' | 'u']))
  const expanded = expandHome(text)
  return isAbsolute(expanded) ? expanded : resolve(homedir(), expanded)
}

function portOf(value: string, where: string, directive: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : 0
  if (port < 1 || port > 65_535) {
    throw new HyopsError(ExitCode.ConfigInvalid, `${directive} ${value} in ${where} is not a port`, {
      hint: 'use a number from 1 to 65535',
      reason: 'ssh-config-malformed',
    })
  }

  return port
}
