import {Flags} from '@oclif/core'
import type {OptionFlag} from '@oclif/core/interfaces'

import type {ProxmoxInputs} from '../types.js'

/** How a key's value is checked and converted (see `config.ts`). */
export type ConfigValueKind =
  | 'address'
  | 'bool'
  | 'bridge'
  | 'comment'
  | 'days'
  | 'host'
  | 'path'
  | 'port'
  | 'privilege-profile'
  | 'privileges'
  | 'public-key'
  | 'role-name'
  | 'ssh-config'
  | 'storage'
  | 'token-id'
  | 'token-name'
  | 'user-fq'
  | 'username'

/** One key of `[proxmox]`: its names in the file, the environment and on the command line. */
export interface ConfigKeySpec {
  /** The annex's UPPERCASE name, written by the template. */
  readonly key: string
  /** The `ProxmoxInputs` field it fills; API_TOKEN_ID fills USER_FQ and TOKEN_NAME instead. */
  readonly field?: keyof ProxmoxInputs
  /** Older lowercase names from the Python hyops, accepted when reading. */
  readonly aliases: readonly string[]
  /** `HYOPS_PROXMOX_<KEY>` with a leading `PROXMOX_` of the key dropped. */
  readonly env: string
  /** The command-line flag, without `--`. */
  readonly flag: string
  readonly kind: ConfigValueKind
  /** The default when no flag, env var or config sets it (FALLBACK_STORAGE_SNIPPETS: FALLBACK_STORAGE_ISO's value). */
  readonly default?: string
  readonly required?: true
  /** In the annex's key list (else one of the decisions file's extra keys, or a legacy alias). */
  readonly annex: boolean
  /** One line for `--help`. */
  readonly description: string
  /** How the template writes it: `value` set (or commented out when `commented`), preceded by `comment` lines. */
  readonly template?: {readonly value: string; readonly comment: readonly string[]; readonly commented?: true}
}

/** The template's placeholder for PROXMOX_IP (TEST-NET-1, never a real host). */
export const PLACEHOLDER_HOST = '192.0.2.10'
/** Placeholder hosts refused for a remote run: ours and the one the Python hyops template wrote. */
export const PLACEHOLDER_HOSTS: readonly string[] = [PLACEHOLDER_HOST, 'pve.example.local']

/**
 * Every key of the `[proxmox]` section, in the template's order: the annex's keys, the extra
 * keys of the decisions file, and the legacy API_TOKEN_ID (`user@realm!name`), which the
 * Python hyops read as `api_token_id` and which derives USER_FQ and TOKEN_NAME.
 * The legacy `port` key was the API port (8006 in the old template), so it maps to PROXMOX_API_PORT.
 */
export const CONFIG_KEYS = [
  {
    key: 'PROXMOX_IP',
    field: 'host',
    aliases: ['host'],
    env: 'HYOPS_PROXMOX_IP',
    flag: 'proxmox-ip',
    kind: 'host',
    required: true,
    annex: true,
    description: 'Proxmox host IP or resolvable hostname for SSH access',
    template: {
      value: PLACEHOLDER_HOST,
      comment: [
        'Required. Proxmox host IP or resolvable hostname for SSH access.',
        `${PLACEHOLDER_HOST} is a placeholder: replace it with your Proxmox host.`,
      ],
    },
  },
  {
    key: 'USER_FQ',
    field: 'userFq',
    aliases: ['user_fq'],
    env: 'HYOPS_PROXMOX_USER_FQ',
    flag: 'user-fq',
    kind: 'user-fq',
    required: true,
    annex: true,
    description: 'Proxmox user owning the API token, user@realm (created when missing)',
    template: {
      value: 'automation@pam',
      comment: ['Required. Proxmox user owning the API token, in user@realm form (created when missing).'],
    },
  },
  {
    key: 'TOKEN_NAME',
    field: 'tokenName',
    aliases: ['token_name'],
    env: 'HYOPS_PROXMOX_TOKEN_NAME',
    flag: 'token-name',
    kind: 'token-name',
    default: 'infra-token',
    annex: true,
    description: 'API token name; the token id is USER_FQ!TOKEN_NAME',
    template: {value: 'infra-token', comment: ['API token name; the token id is USER_FQ!TOKEN_NAME.']},
  },
  {
    key: 'TLS_SKIP',
    field: 'tlsSkip',
    aliases: ['tls_skip'],
    env: 'HYOPS_PROXMOX_TLS_SKIP',
    flag: 'tls-skip',
    kind: 'bool',
    default: 'true',
    annex: true,
    description: 'Skip TLS verification of the Proxmox API (true/false/yes/no/1/0)',
    template: {
      value: 'true',
      comment: [
        'Skip TLS verification of the Proxmox API (true/false). With false, the API is verified',
        'against TLS_CA_FILE, or the cluster CA read from the host during bootstrap.',
      ],
    },
  },
  {
    key: 'HTTP_PORT',
    field: 'httpPort',
    aliases: ['http_port'],
    env: 'HYOPS_PROXMOX_HTTP_PORT',
    flag: 'http-port',
    kind: 'port',
    default: '8802',
    annex: true,
    description: 'Port of the Packer HTTP server (tfvars http_port)',
    template: {value: '8802', comment: ['Port of the Packer HTTP server (tfvars http_port).']},
  },
  {
    key: 'FALLBACK_STORAGE_VM',
    field: 'fallbackStorageVm',
    aliases: ['fallback_storage_vm'],
    env: 'HYOPS_PROXMOX_FALLBACK_STORAGE_VM',
    flag: 'fallback-storage-vm',
    kind: 'storage',
    default: 'local-lvm',
    annex: true,
    description: 'VM disk storage used when the host reports none',
    template: {
      value: 'local-lvm',
      comment: [
        'Fallbacks used when the remote bootstrap does not return a value.',
        'Storage for VM disks (content images).',
      ],
    },
  },
  {
    key: 'FALLBACK_STORAGE_ISO',
    field: 'fallbackStorageIso',
    aliases: ['fallback_storage_iso'],
    env: 'HYOPS_PROXMOX_FALLBACK_STORAGE_ISO',
    flag: 'fallback-storage-iso',
    kind: 'storage',
    default: 'local',
    annex: true,
    description: 'ISO storage used when the host reports none',
    template: {value: 'local', comment: ['Storage for ISO images (content iso).']},
  },
  {
    key: 'FALLBACK_BRIDGE',
    field: 'fallbackBridge',
    aliases: ['fallback_bridge'],
    env: 'HYOPS_PROXMOX_FALLBACK_BRIDGE',
    flag: 'fallback-bridge',
    kind: 'bridge',
    default: 'vmbr0',
    annex: true,
    description: 'Network bridge used when the host reports no active vmbr* bridge',
    template: {value: 'vmbr0', comment: ['Network bridge for VM NICs.']},
  },
  {
    key: 'PROXMOX_SSH_USERNAME',
    field: 'sshUsername',
    aliases: ['ssh_username'],
    env: 'HYOPS_PROXMOX_SSH_USERNAME',
    flag: 'ssh-username',
    kind: 'username',
    default: 'root',
    annex: true,
    description: 'SSH user on the Proxmox host (bootstrap and provider operations)',
    template: {
      value: 'root',
      comment: ['SSH user on the Proxmox host, for the bootstrap and for provider operations.'],
    },
  },
  {
    key: 'PROXMOX_SSH_KEY',
    field: 'sshKey',
    aliases: ['ssh_private_key'],
    env: 'HYOPS_PROXMOX_SSH_KEY',
    flag: 'ssh-key',
    kind: 'path',
    default: '~/.ssh/id_ed25519',
    annex: true,
    description: 'SSH private key file for the Proxmox host',
    template: {
      value: '~/.ssh/id_ed25519',
      comment: ['SSH private key of that user (its .pub file gives tfvars ssh_public_key).'],
    },
  },
  {
    key: 'HTTP_BIND_ADDRESS',
    field: 'httpBindAddress',
    aliases: ['http_bind_address'],
    env: 'HYOPS_PROXMOX_HTTP_BIND_ADDRESS',
    flag: 'http-bind-address',
    kind: 'address',
    annex: true,
    description: 'Address the Packer HTTP server binds to (default: autodetect)',
    template: {
      value: '192.0.2.20',
      commented: true,
      comment: ['Address the Packer HTTP server binds to; autodetected when unset.'],
    },
  },
  {
    key: 'PROXMOX_API_PORT',
    field: 'apiPort',
    aliases: ['port'],
    env: 'HYOPS_PROXMOX_API_PORT',
    flag: 'api-port',
    kind: 'port',
    default: '8006',
    annex: false,
    description: 'Port of the Proxmox API',
    template: {
      value: '8006',
      commented: true,
      comment: [
        '',
        'Optional keys beyond the annex, commented out (defaults, or examples where there is none).',
        'Port of the Proxmox API (e.g. behind a proxy).',
      ],
    },
  },
  {
    key: 'PROXMOX_API_HOST',
    field: 'apiHost',
    aliases: [],
    env: 'HYOPS_PROXMOX_API_HOST',
    flag: 'api-host',
    kind: 'host',
    annex: false,
    description: 'Host or address for proxmox_url (NAT, VPN, proxy, or the name in its certificate)',
    template: {
      value: 'pve.example.internal',
      commented: true,
      comment: [
        'Host or address of the API for proxmox_url (behind NAT, a VPN or a proxy, or the DNS name in',
        "the host's own certificate). Default: the address the host reports, if reachable, else PROXMOX_IP.",
      ],
    },
  },
  {
    key: 'PROXMOX_SSH_PORT',
    field: 'sshPort',
    aliases: [],
    env: 'HYOPS_PROXMOX_SSH_PORT',
    flag: 'ssh-port',
    kind: 'port',
    default: '22',
    annex: false,
    description: 'SSH port of the Proxmox host',
    template: {value: '22', commented: true, comment: ['SSH port of the Proxmox host.']},
  },
  {
    key: 'FALLBACK_STORAGE_SNIPPETS',
    field: 'fallbackStorageSnippets',
    aliases: ['fallback_storage_snippets'],
    env: 'HYOPS_PROXMOX_FALLBACK_STORAGE_SNIPPETS',
    flag: 'fallback-storage-snippets',
    kind: 'storage',
    annex: false,
    description: 'Snippets storage used when the host reports none (default: FALLBACK_STORAGE_ISO)',
    template: {
      value: 'local',
      commented: true,
      comment: ['Snippets storage used when the host reports none (default: FALLBACK_STORAGE_ISO).'],
    },
  },
  {
    key: 'TLS_CA_FILE',
    field: 'tlsCaFile',
    aliases: [],
    env: 'HYOPS_PROXMOX_TLS_CA_FILE',
    flag: 'tls-ca-file',
    kind: 'path',
    annex: false,
    description: 'PEM file of the CA that signs the Proxmox API certificate (verified TLS)',
    template: {
      value: '~/pve-root-ca.pem',
      commented: true,
      comment: ['PEM file of the CA that signs the API certificate (a copy of /etc/pve/pve-root-ca.pem).'],
    },
  },
  {
    key: 'SSH_PUBLIC_KEY',
    field: 'sshPublicKey',
    aliases: ['ssh_public_key'],
    env: 'HYOPS_PROXMOX_SSH_PUBLIC_KEY',
    flag: 'ssh-public-key',
    kind: 'public-key',
    annex: false,
    description: 'Public key for tfvars ssh_public_key: key text or a .pub file (default: <ssh key>.pub)',
    template: {
      value: '~/.ssh/id_ed25519.pub',
      commented: true,
      comment: ['Public key for tfvars ssh_public_key: the key text or a .pub file (default: PROXMOX_SSH_KEY.pub).'],
    },
  },
  {
    key: 'PROXMOX_SSH_CONFIG',
    field: 'sshConfig',
    aliases: [],
    env: 'HYOPS_PROXMOX_SSH_CONFIG',
    flag: 'ssh-config',
    kind: 'ssh-config',
    annex: false,
    description: 'OpenSSH client config read for PROXMOX_IP, like ssh -F (default ~/.ssh/config; none: read none)',
    template: {
      value: '~/.ssh/config',
      commented: true,
      comment: [
        'OpenSSH client config (ssh -F): PROXMOX_IP may be a Host alias there (HostName, User, Port,',
        'IdentityFile, ProxyJump); the keys set here win. none reads no file.',
      ],
    },
  },
  {
    key: 'PROXMOX_SSH_SUDO',
    field: 'sshSudo',
    aliases: [],
    env: 'HYOPS_PROXMOX_SSH_SUDO',
    flag: 'ssh-sudo',
    kind: 'bool',
    annex: false,
    description: 'Run the bootstrap as sudo -n bash -s (a non-root PROXMOX_SSH_USERNAME; default false)',
    template: {
      value: 'false',
      commented: true,
      comment: ['Non-root PROXMOX_SSH_USERNAME: run the bootstrap through sudo -n (needs a NOPASSWD sudoers rule).'],
    },
  },
  {
    key: 'PROVIDER_SSH_USER',
    field: 'providerSshUser',
    aliases: [],
    env: 'HYOPS_PROXMOX_PROVIDER_SSH_USER',
    flag: 'provider-ssh-user',
    kind: 'username',
    annex: false,
    description: "A Linux account on every node for the Terraform provider's SSH, with only the sudo rules it needs",
    template: {
      value: 'terraform',
      commented: true,
      comment: [
        "The Terraform provider's SSH account (bpg: snippets, file uploads, disk imports): made on every node",
        'with its own key and a sudoers drop-in allowing only pvesm, qm and tee into the snippets folders; the',
        "tfvars and hyops env hand out this account and key instead of PROXMOX_SSH_USERNAME's.",
      ],
    },
  },
  {
    key: 'PROVIDER_SSH_IDMAP',
    field: 'providerSshIdmap',
    aliases: [],
    env: 'HYOPS_PROXMOX_PROVIDER_SSH_IDMAP',
    flag: 'provider-ssh-idmap',
    kind: 'bool',
    default: 'false',
    annex: false,
    description: "Also allow PROVIDER_SSH_USER the sudo rules of bpg's container idmap (sed and tee on /etc/pve/lxc)",
    template: {
      value: 'false',
      commented: true,
      comment: ["With PROVIDER_SSH_USER: also the sudo rules bpg's container idmap needs (/etc/pve/lxc/<id>.conf)."],
    },
  },
  {
    key: 'PRIVILEGE_PROFILE',
    field: 'privilegeProfile',
    aliases: [],
    env: 'HYOPS_PROXMOX_PRIVILEGE_PROFILE',
    flag: 'privilege-profile',
    kind: 'privilege-profile',
    default: 'terraform',
    annex: false,
    description: 'Privileges of the token: terraform, packer, minimal or custom (PRIVILEGES)',
    template: {
      value: 'terraform',
      commented: true,
      comment: [
        "What the token may do, through one role hyops manages (ROLE_NAME) granted on /: terraform (Telmate's",
        "start-up check, bpg's resources, Packer), packer, minimal (VMs and disks only) or custom (PRIVILEGES).",
      ],
    },
  },
  {
    key: 'PRIVILEGES',
    field: 'privileges',
    aliases: [],
    env: 'HYOPS_PROXMOX_PRIVILEGES',
    flag: 'privileges',
    kind: 'privileges',
    annex: false,
    description: 'The privileges of PRIVILEGE_PROFILE=custom, e.g. VM.Audit,VM.PowerMgmt',
    template: {
      value: 'VM.Audit,VM.PowerMgmt,Sys.Audit',
      commented: true,
      comment: ["With PRIVILEGE_PROFILE = custom: the role's privileges (comma list)."],
    },
  },
  {
    key: 'ROLE_NAME',
    field: 'roleName',
    aliases: [],
    env: 'HYOPS_PROXMOX_ROLE_NAME',
    flag: 'role-name',
    kind: 'role-name',
    default: 'HyopsAutomation',
    annex: false,
    description: "The role hyops creates and keeps up to date with the profile's privileges",
    template: {
      value: 'HyopsAutomation',
      commented: true,
      comment: ['The role hyops creates, keeps up to date with the profile and grants on / to USER_FQ.'],
    },
  },
  {
    key: 'TOKEN_PRIVSEP',
    field: 'tokenPrivsep',
    aliases: [],
    env: 'HYOPS_PROXMOX_TOKEN_PRIVSEP',
    flag: 'token-privsep',
    kind: 'bool',
    default: 'false',
    annex: false,
    description: 'Privilege separation of the token (true: the role is granted to the token too)',
    template: {
      value: 'false',
      commented: true,
      comment: ['Privilege separation: true limits the token to its own grants (hyops grants it the role too).'],
    },
  },
  {
    key: 'TOKEN_EXPIRE',
    field: 'tokenExpireDays',
    aliases: [],
    env: 'HYOPS_PROXMOX_TOKEN_EXPIRE',
    flag: 'token-expire',
    kind: 'days',
    default: '0',
    annex: false,
    description: 'Days a new token lives (0: never expires)',
    template: {value: '0', commented: true, comment: ['Days a new token lives; 0 = it never expires.']},
  },
  {
    key: 'TOKEN_COMMENT',
    field: 'tokenComment',
    aliases: [],
    env: 'HYOPS_PROXMOX_TOKEN_COMMENT',
    flag: 'token-comment',
    kind: 'comment',
    default: 'hyops automation (Terraform/Packer)',
    annex: false,
    description: 'Comment of a new token, shown in the Proxmox UI',
    template: {
      value: 'hyops automation (Terraform/Packer)',
      commented: true,
      comment: ['Comment of a new token, shown in the Proxmox UI.'],
    },
  },
  {
    key: 'API_TOKEN_ID',
    aliases: ['api_token_id'],
    env: 'HYOPS_PROXMOX_API_TOKEN_ID',
    flag: 'api-token-id',
    kind: 'token-id',
    annex: false,
    description: 'Token id user@realm!name (legacy; sets USER_FQ and TOKEN_NAME)',
  },
] as const satisfies readonly ConfigKeySpec[]

/** A key of `[proxmox]` by its annex name. */
export type ConfigKey = (typeof CONFIG_KEYS)[number]['key']
/** A command-line flag name of a config key (without `--`). */
export type ConfigFlagName = (typeof CONFIG_KEYS)[number]['flag']

const BY_KEY = new Map<string, ConfigKeySpec>(CONFIG_KEYS.map((spec) => [spec.key, spec]))
const BY_NAME = new Map<string, ConfigKeySpec>(
  CONFIG_KEYS.flatMap((spec) => [spec.key, ...spec.aliases].map((name) => [name.toLowerCase(), spec] as const)),
)

/** The spec of one key. */
export function configKeySpec(key: ConfigKey): ConfigKeySpec {
  return BY_KEY.get(key) as ConfigKeySpec
}

/** The key a name in the file stands for (annex name or legacy alias, any case); undefined when unknown. */
export function configKeyForName(name: string): ConfigKey | undefined {
  return BY_NAME.get(name.trim().toLowerCase())?.key as ConfigKey | undefined
}

/** The environment variable of a key: `HYOPS_PROXMOX_<KEY>` with a leading `PROXMOX_` dropped. */
export function envVarForKey(key: string): string {
  return `HYOPS_PROXMOX_${key.replace(/^PROXMOX_/, '')}`
}

/** The flags of every config key, all strings (validation is ours), for the command's `static flags`. */
export const proxmoxConfigFlags = Object.fromEntries(
  CONFIG_KEYS.map((spec) => [
    spec.flag,
    Flags.string({
      description:
        `${spec.description} [config ${spec.key}, env ` +
        `${spec.env}${'default' in spec ? `, default ${spec.default}` : ''}]`,
      helpGroup: 'PROXMOX',
    }),
  ]),
) as {[F in ConfigFlagName]: OptionFlag<string | undefined>}
