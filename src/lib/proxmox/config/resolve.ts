import {describeConfig} from '../../config/describe.js'
import {invalidValue} from '../../config/errors.js'
import {parseConfigText, readConfigFile} from '../../config/ini.js'
import {CONFIG_LEVELS, ConfigResolver, outranks} from '../../config/resolve.js'
import type {Candidate, ConfigFile, ConfigSources} from '../../config/types.js'
import {ExitCode, HyopsError} from '../../errors.js'
import {CA_FILE_MAX_BYTES, readUserText, unreadableReason} from '../../runtime/user-file.js'
import {profilePrivileges, type PrivilegeProfileName} from '../permissions/profiles.js'
import type {ProxmoxInputs} from '../types.js'
import {type ConfigKey, PLACEHOLDER_HOSTS, PROXMOX_CONFIG, type ProxmoxKeySpec} from './keys.js'

export type {ConfigKeyLocation} from '../../config/types.js'

/** The `[proxmox]` section of a config file, read and checked for form (not for values). */
export type ProxmoxConfigFile = ConfigFile<ConfigKey>

/** Reads `<path>` as the INI file of `[proxmox]` (see `readConfigFile`). */
export async function readProxmoxConfig(path: string): Promise<ProxmoxConfigFile> {
  return readConfigFile(PROXMOX_CONFIG, path)
}

/** Parses config text (see `readConfigFile`); `path` is only for messages. */
export function parseProxmoxConfig(text: string, path: string): ProxmoxConfigFile {
  return parseConfigText(PROXMOX_CONFIG, text, path)
}

/** What `resolveProxmoxInputs` resolves from. */
export interface ProxmoxInputSources extends ConfigSources<ConfigKey> {
  /** Accept the template's placeholder PROXMOX_IP (for a run that never contacts the host). */
  allowPlaceholderHost?: boolean
}

/**
 * Resolves every input of `hyops init proxmox`: flags > `HYOPS_PROXMOX_*` env > config >
 * defaults, with the source of each field, each value checked by its key's kind. A bad value is
 * exit 11 naming the key, where it came from and the value; a missing PROXMOX_IP or USER_FQ is
 * exit 11 naming the file, flag and env var that set it. Paths have `~` expanded (relative ones
 * in the config resolve against the config file's directory).
 */
export function resolveProxmoxInputs(sources: ProxmoxInputSources): ProxmoxInputs {
  const resolver = new ConfigResolver(PROXMOX_CONFIG, sources)
  const fieldSources: ProxmoxInputs['sources'] = {}

  // USER_FQ and TOKEN_NAME may come from API_TOKEN_ID (user@realm!name) at the same level.
  const pickTokenPart = (key: 'TOKEN_NAME' | 'USER_FQ'): Candidate | undefined => {
    for (const level of CONFIG_LEVELS) {
      const explicit = resolver.candidateAt(key, level)
      const idCandidate = resolver.candidateAt('API_TOKEN_ID', level)
      const derived = idCandidate
        ? resolver.check<[Candidate, Candidate]>('API_TOKEN_ID', idCandidate)[key === 'USER_FQ' ? 0 : 1]
        : undefined
      if (explicit && derived && explicit.value !== derived.value) {
        throw invalidValue(
          'API_TOKEN_ID',
          idCandidate as Candidate,
          `consistent with ${key} "${explicit.value}" (${explicit.where})`,
          'keep one of them, or make them agree',
        )
      }

      if (explicit ?? derived) return explicit ?? derived
    }

    return resolver.defaultOf(key)
  }

  const hostCandidate = resolver.required('PROXMOX_IP', resolver.pick('PROXMOX_IP'))
  const host = resolver.check<string>('PROXMOX_IP', hostCandidate)
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

  const userFqCandidate = resolver.required('USER_FQ', pickTokenPart('USER_FQ'))
  const userFq = resolver.check<string>('USER_FQ', userFqCandidate)
  fieldSources.userFq = userFqCandidate.source
  const tokenNameCandidate = pickTokenPart('TOKEN_NAME') as Candidate
  const tokenName = resolver.check<string>('TOKEN_NAME', tokenNameCandidate)
  fieldSources.tokenName = tokenNameCandidate.source
  // The token id came from wherever its more explicit half came from.
  fieldSources.tokenId = outranks(userFqCandidate.source, tokenNameCandidate.source)
    ? userFqCandidate.source
    : tokenNameCandidate.source

  const take = <T>(key: ConfigKey): T | undefined => {
    const value = resolver.take<T>(key)
    const {field}: ProxmoxKeySpec = PROXMOX_CONFIG.spec(key)!
    const source = resolver.sources[key]
    if (field && source) fieldSources[field] = source
    return value
  }

  const fallbackStorageIso = take<string>('FALLBACK_STORAGE_ISO')!
  let fallbackStorageSnippets = take<string>('FALLBACK_STORAGE_SNIPPETS')
  if (fallbackStorageSnippets === undefined) {
    fallbackStorageSnippets = fallbackStorageIso
    fieldSources.fallbackStorageSnippets = 'default'
  }

  const inputs: ProxmoxInputs = {
    apiHost: take('PROXMOX_API_HOST'),
    apiPort: take<number>('PROXMOX_API_PORT')!,
    fallbackBridge: take<string>('FALLBACK_BRIDGE')!,
    fallbackStorageIso,
    fallbackStorageSnippets,
    fallbackStorageVm: take<string>('FALLBACK_STORAGE_VM')!,
    host,
    httpBindAddress: take('HTTP_BIND_ADDRESS'),
    httpPort: take<number>('HTTP_PORT')!,
    sources: fieldSources,
    sshConfig: take('PROXMOX_SSH_CONFIG'),
    sshKey: take<string>('PROXMOX_SSH_KEY')!,
    sshPort: take<number>('PROXMOX_SSH_PORT')!,
    sshPublicKey: take('SSH_PUBLIC_KEY'),
    sshSudo: take('PROXMOX_SSH_SUDO'),
    providerSshUser: take('PROVIDER_SSH_USER'),
    providerSshIdmap: take<boolean>('PROVIDER_SSH_IDMAP')!,
    sshUsername: take<string>('PROXMOX_SSH_USERNAME')!,
    tlsCaFile: take('TLS_CA_FILE'),
    tlsSkip: take<boolean>('TLS_SKIP')!,
    tokenComment: take<string>('TOKEN_COMMENT')!,
    tokenExpireDays: take<number>('TOKEN_EXPIRE')!,
    tokenRenewDays: take<number>('TOKEN_RENEW_DAYS')!,
    tokenId: `${userFq}!${tokenName}`,
    tokenName,
    tokenPrivsep: take<boolean>('TOKEN_PRIVSEP')!,
    userFq,
    ...resolvePermissions(resolver, take),
  }
  for (const key of Object.keys(inputs) as Array<keyof ProxmoxInputs>) if (inputs[key] === undefined) delete inputs[key]
  return inputs
}

/** Every key resolved to its text form, for evidence and summaries (no secret here). */
export function describeProxmoxInputs(inputs: ProxmoxInputs): Record<string, string> {
  return describeConfig(PROXMOX_CONFIG, inputs)
}

/** PRIVILEGE_PROFILE, PRIVILEGES (only with `custom`, then required) and ROLE_NAME. */
function resolvePermissions(
  resolver: ConfigResolver<ProxmoxKeySpec>,
  take: <T>(key: ConfigKey) => T | undefined,
): Pick<ProxmoxInputs, 'privilegeProfile' | 'privileges' | 'roleName'> {
  const privilegeProfile = take<PrivilegeProfileName>('PRIVILEGE_PROFILE')!
  const listed = resolver.pick('PRIVILEGES')
  if (privilegeProfile !== 'custom' && listed)
    throw invalidValue(
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
  const custom = take<string[]>('PRIVILEGES') ?? []
  return {
    privilegeProfile,
    privileges: profilePrivileges(privilegeProfile, custom),
    roleName: take<string>('ROLE_NAME')!,
  }
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
