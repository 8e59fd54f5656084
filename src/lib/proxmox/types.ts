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
  /** Where each field came from, by field name. */
  sources: Partial<Record<keyof ProxmoxInputs, InputSource>>
}

/** `detected`: found or confirmed on the host; `fallback`: the fallback key, unconfirmed. */
export type DiscoverySource = 'detected' | 'fallback'

/** What the remote bootstrap found; non-secret except `tokenSecret`. */
export interface RuntimeDiscovery {
  node: string
  apiIp: string
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
