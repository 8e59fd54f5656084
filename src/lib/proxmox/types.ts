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
  /** SSH_PUBLIC_KEY: the key text or a path to a .pub file; discovered from `<sshKey>.pub` when unset. */
  sshPublicKey?: string
  fallbackStorageVm: string
  fallbackStorageIso: string
  fallbackStorageSnippets: string
  fallbackBridge: string
  /** PROXMOX_API_HOST: host or address for `proxmox_url`; unset = chosen from what the host reports. */
  apiHost?: string
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
  code: 'snippets-fallback' | 'bridge-missing' | 'bridge-down'
  message: string
  fix: string
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
  /** Only when the script created or rotated the token. Never log it. */
  tokenSecret?: string
  /** The cluster CA (PEM), read when verified TLS is wanted without TLS_CA_FILE. */
  caPem?: string
}

/**
 * What the script may do with the token: `keep` never creates one (a secret is known),
 * `create` makes it only when missing (reports an existing one and leaves it alone),
 * `rotate` removes and recreates it.
 */
export type TokenMode = 'keep' | 'create' | 'rotate'
