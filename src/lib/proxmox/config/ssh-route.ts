import {join} from 'node:path'
import {homedir} from 'node:os'

import {
  defaultSshConfigPath,
  defaultUserKnownHostsFiles,
  hostConfig,
  localUser,
  readSshConfig,
  type SshConfigFile,
  type SshHop,
  type SshHostConfig,
} from '../../ssh/ssh-config.js'
import type {HostKeyPolicy} from '../../ssh/known-hosts.js'
import type {ProxmoxInputs} from '../types.js'

/** One jump host, resolved through the ssh config like the target. */
export interface SshRouteHop {
  host: string
  port: number
  username: string
  identityFiles: string[]
  identitiesOnly?: boolean
}

/** How the Proxmox host is reached beyond host, port, user and key: what ~/.ssh/config adds. */
export interface SshRoute {
  /** The ssh config read, when there was one. */
  configPath?: string
  /** PROXMOX_IP as written, when ~/.ssh/config gave it a HostName. */
  alias?: string
  /** Key files for the target, PROXMOX_SSH_KEY (or the config's first IdentityFile) first. */
  identityFiles: string[]
  identitiesOnly?: boolean
  jumps: SshRouteHop[]
  /** UserKnownHostsFile, or ~/.ssh/known_hosts and known_hosts2. */
  trustedKnownHostsFiles: string[]
  /** From StrictHostKeyChecking, for when --host-key-policy is not given. */
  hostKeyPolicy?: HostKeyPolicy
}

/**
 * Applies the OpenSSH client config (PROXMOX_SSH_CONFIG, default ~/.ssh/config) to the inputs, as `ssh
 * PROXMOX_IP` would read it: HostName replaces an alias, and User, Port and IdentityFile fill
 * PROXMOX_SSH_USERNAME, PROXMOX_SSH_PORT and PROXMOX_SSH_KEY where hyops' own flag, env or config did not set
 * them (source `ssh-config`). ProxyJump hops are resolved through the same file.
 */
export async function applySshConfig(inputs: ProxmoxInputs): Promise<{inputs: ProxmoxInputs; route: SshRoute}> {
  const explicit = inputs.sshConfig !== undefined && inputs.sshConfig !== 'none'
  const file =
    inputs.sshConfig === 'none'
      ? {path: 'none'}
      : await readSshConfig(inputs.sshConfig ?? defaultSshConfigPath(), explicit ? 'PROXMOX_SSH_CONFIG' : undefined)
  const own = (field: keyof ProxmoxInputs) => inputs.sources[field] !== undefined && inputs.sources[field] !== 'default'
  const user = own('sshUsername') ? inputs.sshUsername : undefined
  const found: SshHostConfig = hostConfig(file, inputs.host, user)
  const next: ProxmoxInputs = {...inputs, sources: {...inputs.sources}}
  const take = <K extends 'host' | 'sshKey' | 'sshPort' | 'sshUsername'>(field: K, value: ProxmoxInputs[K]) => {
    next[field] = value
    next.sources[field] = 'ssh-config'
  }

  if (found.hostName && found.hostName !== inputs.host) take('host', found.hostName)
  if (found.user && !own('sshUsername')) take('sshUsername', found.user)
  if (found.port && !own('sshPort')) take('sshPort', found.port)
  if (found.identityFiles.length > 0 && !own('sshKey')) take('sshKey', found.identityFiles[0])
  const identityFiles = own('sshKey') ? [inputs.sshKey] : [...new Set([next.sshKey, ...found.identityFiles])]

  const jumps = expandHops(file, found.proxyJump ?? [], next.sshKey, [inputs.host])
  const policy = policyOf(found.strictHostKeyChecking)
  const route: SshRoute = {
    identityFiles,
    jumps,
    trustedKnownHostsFiles: found.userKnownHostsFiles ?? defaultUserKnownHostsFiles(),
    ...(file.config ? {configPath: file.path} : {}),
    ...(found.hostName && found.hostName !== inputs.host ? {alias: inputs.host} : {}),
    ...(found.identitiesOnly === undefined ? {} : {identitiesOnly: found.identitiesOnly}),
    ...(policy ? {hostKeyPolicy: policy} : {}),
  }
  return {inputs: next, route}
}

const MAX_HOPS = 8

/**
 * Resolves ProxyJump hops through the config. As with `ssh -J a,b`, the first hop's own ProxyJump is followed
 * (it is reached the same way `ssh a` would be); the later hops are reached through the earlier ones.
 */
function expandHops(file: SshConfigFile, hops: SshHop[], sshKey: string, seen: string[]): SshRouteHop[] {
  const resolved = hops.map((hop) => {
    const hopConfig = hostConfig(file, hop.host, hop.user)
    const files = hopConfig.identityFiles.length > 0 ? hopConfig.identityFiles : defaultIdentityFiles(sshKey)
    const route: SshRouteHop = {
      host: hopConfig.hostName ?? hop.host,
      identityFiles: files,
      ...(hopConfig.identitiesOnly === undefined ? {} : {identitiesOnly: hopConfig.identitiesOnly}),
      port: hop.port ?? hopConfig.port ?? 22,
      username: hop.user ?? hopConfig.user ?? localUser(),
    }
    return {before: hopConfig.proxyJump ?? [], route}
  })
  if (resolved.length === 0) return []
  // A hop whose ProxyJump leads back to a host already on the way (Host * ProxyJump bastion) is not followed.
  const first = resolved[0].before
  const loops = seen.length >= MAX_HOPS || first.some((hop) => [...seen, hops[0].host].includes(hop.host))
  const before = loops ? [] : expandHops(file, first, sshKey, [...seen, hops[0].host])
  return [...before, ...resolved.map((hop) => hop.route)].slice(0, MAX_HOPS)
}

/** A jump host without IdentityFile: hyops' key, then OpenSSH's default key files. */
function defaultIdentityFiles(sshKey: string): string[] {
  const dir = join(homedir(), '.ssh')
  return [...new Set([sshKey, join(dir, 'id_ed25519'), join(dir, 'id_ecdsa'), join(dir, 'id_rsa')])]
}

/** StrictHostKeyChecking as a policy; never weaker than accept-new (hyops does not turn checks off for it). */
function policyOf(value: string | undefined): HostKeyPolicy | undefined {
  if (value === undefined) return undefined
  return value === 'yes' || value === 'true' ? 'strict' : 'accept-new'
}
