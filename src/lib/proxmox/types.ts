import type {PrivilegeProfileName} from './permissions/profiles.js'

/** Where a resolved input came from (precedence: flag > env > config > default). */
export type InputSource = 'flag' | 'env' | 'config' | 'default' | 'ssh-config'

/** Every input of `hyops init proxmox`, resolved and validated. Holds no secret. */
export interface ProxmoxInputs {
  /** PROXMOX_IP: address or hostname for SSH (and the API unless the host reports another). */
  host: string
  /** USER_FQ: user@realm. */
  userFq: string
  /** TOKEN_NAME. */
  tokenName: string
  /** `<userFq>!<tokenName>`. */
  tokenId: string
  tlsSkip: boolean
  tlsCaFile?: string
  httpPort: number
  httpBindAddress?: string
  apiPort: number
  sshPort: number
  sshUsername: string
  /** Private key path (PROXMOX_SSH_KEY), `~` expanded. */
  sshKey: string
  /** PROXMOX_SSH_CONFIG: the OpenSSH client config to read (`none`: none); `~/.ssh/config` when unset. */
  sshConfig?: string
  /** PROXMOX_SSH_SUDO: run the bootstrap through `sudo -n`. */
  sshSudo?: boolean
  /** PROVIDER_SSH_USER: the Terraform provider's own SSH account on every node; unset = PROXMOX_SSH_USERNAME's. */
  providerSshUser?: string
  /** PROVIDER_SSH_IDMAP: the account also gets the sudo rules of bpg's container idmap. */
  providerSshIdmap?: boolean
  /** SSH_PUBLIC_KEY: the key text or a path to a .pub file; discovered from `<sshKey>.pub` when unset. */
  sshPublicKey?: string
  fallbackStorageVm: string
  fallbackStorageIso: string
  fallbackStorageSnippets: string
  fallbackBridge: string
  /** PROXMOX_API_HOST: host or address for `proxmox_url`; unset = chosen from what the host reports. */
  apiHost?: string
  /** PRIVILEGE_PROFILE. */
  privilegeProfile: PrivilegeProfileName
  /** The profile's privileges (PRIVILEGES for `custom`), sorted; the host keeps those its version knows. */
  privileges: string[]
  /** ROLE_NAME: the role hyops manages and grants on `/`. */
  roleName: string
  /** TOKEN_PRIVSEP: privilege separation of the token (then the role is granted to the token too). */
  tokenPrivsep: boolean
  /** TOKEN_EXPIRE: days a new token lives; 0 = never. */
  tokenExpireDays: number
  /** TOKEN_RENEW_DAYS: a token hyops made that expires within this many days is renewed. */
  tokenRenewDays: number
  /** TOKEN_COMMENT: the comment of a new token. */
  tokenComment: string
  /** Where each field came from, by field name. */
  sources: Partial<Record<keyof ProxmoxInputs, InputSource>>
}

/** `detected`: found or confirmed on the host; `fallback`: the fallback key, unconfirmed. */
export type DiscoverySource = 'detected' | 'fallback'

/** Where `proxmox_url`'s host came from: PROXMOX_API_HOST, the host's own report, or PROXMOX_IP. */
export type ApiIpSource = 'api_host' | 'reported' | 'proxmox_ip'

/** A node of the cluster (`/etc/pve/.members`). */
export interface ClusterNodeInfo {
  name: string
  ip?: string
  online: boolean
}

/** Something the operator should fix, though the run could go on (summary, --json, marker). */
export interface RunWarning {
  code: 'snippets-fallback' | 'bridge-missing' | 'bridge-down' | 'provider-ssh-no-tee'
  message: string
  fix: string
}

/** What the bootstrap did with the managed role and its grants. */
export interface RoleReport {
  role: string
  /** `created`, `updated` (its privileges differed) or `kept`. */
  action: 'created' | 'updated' | 'kept'
  /** The privileges the role holds now (the profile's that this version knows). */
  privileges: string[]
  /** The profile's privileges this version does not know. */
  skipped: string[]
  /** `granted` on / in this run, or `kept` (already there). */
  grant: 'granted' | 'kept'
  /** Grants of earlier releases removed in this run, as `path=Role,Role`. */
  legacyRemoved: string[]
}

/** What the remote bootstrap found; non-secret except `tokenSecret`. */
export interface RuntimeDiscovery {
  node: string
  /** The host part of `proxmox_url` (after the API address was chosen, see `apiIpSource`). */
  apiIp: string
  apiIpSource?: ApiIpSource
  /** The address the host reported about itself. */
  reportedIp?: string
  /** pveproxy serves a certificate of its own (uploaded or ACME), not one signed by the cluster CA. */
  ownCertificate?: boolean
  /** The cluster's nodes and addresses, when the host's `.members` was read. */
  clusterNodes?: ClusterNodeInfo[]
  /** File-based storages on this node and their content types (where snippets can be added). */
  fileStorages?: Record<string, string[]>
  /** The file-based storage to offer snippets on, when no storage has them. */
  snippetsCandidate?: string
  /** The fallback bridge's state on the host (`missing`, `DOWN`, ...) when no bridge was detected. */
  bridgeFallbackState?: string
  /** The storage `--enable-snippets` added snippets to in this run. */
  snippetsEnabled?: string
  warnings?: RunWarning[]
  storageVm: string
  storageVmSource: DiscoverySource
  storageIso: string
  storageIsoSource: DiscoverySource
  storageSnippets: string
  storageSnippetsSource: DiscoverySource
  bridge: string
  bridgeSource: DiscoverySource
  /** Whether the token existed on the host when the script looked. */
  tokenExisted: boolean
  /** The token's expiry in user.cfg when the script looked (Unix seconds, 0 = never), before any change. */
  tokenExpire?: number
  /** The script renewed the token (it was inside the renewal window or expired). */
  tokenRenewed?: boolean
  /** The script made the API user in this run. */
  userCreated?: boolean
  /** Only when the script created or rotated the token. Never log it. */
  tokenSecret?: string
  /** The cluster CA (PEM), read when verified TLS is wanted without TLS_CA_FILE. */
  caPem?: string
  /** The role upkeep, when the script got that far (not in `create` mode with an existing token). */
  role?: RoleReport
}

/**
 * What the script may do with the token: `keep` never creates one (a secret is known),
 * `create` makes it only when missing (reports an existing one and leaves it alone),
 * `rotate` removes and recreates it.
 */
export type TokenMode = 'keep' | 'create' | 'rotate'

/** The non-secret runtime values a marker keeps (and `--no-remote` reads back). */
export type MarkerDiscovery = Pick<
  RuntimeDiscovery,
  | 'apiIp'
  | 'bridge'
  | 'bridgeSource'
  | 'node'
  | 'storageIso'
  | 'storageIsoSource'
  | 'storageSnippets'
  | 'storageSnippetsSource'
  | 'storageVm'
  | 'storageVmSource'
> &
  Partial<
    Pick<
      RuntimeDiscovery,
      | 'apiIpSource'
      | 'bridgeFallbackState'
      | 'clusterNodes'
      | 'fileStorages'
      | 'ownCertificate'
      | 'reportedIp'
      | 'snippetsCandidate'
      | 'snippetsEnabled'
    >
  >

/** What a run did with the token. */
export type TokenAction = 'created' | 'kept' | 'reused' | 'rotated' | 'renewed'

/**
 * The values a run takes where the host (or an older marker) reports none: the FALLBACK_* keys, and PROXMOX_IP
 * for the API address. The bootstrap's exports, the marker's runtime and a run without the bootstrap all use it.
 */
export interface Fallbacks {
  apiIp: string
  storageVm: string
  storageIso: string
  storageSnippets: string
  bridge: string
}

/** The fallbacks a run's inputs name. */
export function fallbacksOf(inputs: ProxmoxInputs): Fallbacks {
  return {
    apiIp: inputs.host,
    bridge: inputs.fallbackBridge,
    storageIso: inputs.fallbackStorageIso,
    storageSnippets: inputs.fallbackStorageSnippets,
    storageVm: inputs.fallbackStorageVm,
  }
}

/** What validation proved (summary, `--json`, marker). */
export interface VerifiedPrivileges {
  profile: string
  role: string
  /** The profile's privileges this host's version knows: each one held on every checked path. */
  privileges: string[]
  /** The profile's privileges this version does not know (e.g. VM.Monitor on 9): not asked for. */
  skipped: string[]
  /** The ACL paths checked. */
  paths: string[]
}

/** The privileges validation proved, and what the bootstrap did with the role (when it ran that far). */
export type ProvedPermissions = VerifiedPrivileges & {
  roleAction?: RoleReport['action']
  grant?: RoleReport['grant']
  legacyRemoved?: string[]
}
