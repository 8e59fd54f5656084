// The `[proxmox]` section's keys, one entry each, in the template's order.
import type {ConfigKeySpec} from '../../config/types.js'
import type {ProxmoxInputs} from '../types.js'

/** One key of `[proxmox]`; its `kind` names its check (`PROXMOX_CHECKS` or a built-in one). */
export interface ProxmoxKeySpec extends ConfigKeySpec {
  /** The `ProxmoxInputs` field it fills; API_TOKEN_ID fills USER_FQ and TOKEN_NAME instead. */
  readonly field?: keyof ProxmoxInputs
  /** Set by the template (else an optional key, written commented out, or a legacy one). */
  readonly essential?: true
}

/** The template's placeholder for PROXMOX_IP (TEST-NET-1, never a real host). */
export const PLACEHOLDER_HOST = '192.0.2.10'
/** Placeholder hosts refused for a remote run: ours and the one the Python hyops template wrote. */
export const PLACEHOLDER_HOSTS: readonly string[] = [PLACEHOLDER_HOST, 'pve.example.local']

/**
 * Every key of the `[proxmox]` section, in the template's order: the essential keys the template
 * sets, the optional ones it writes commented out, and the legacy API_TOKEN_ID
 * (`user@realm!name`), which the Python hyops read as `api_token_id` and which derives USER_FQ and
 * TOKEN_NAME. The legacy `port` key was the API port (8006 in the old template), so it maps to
 * PROXMOX_API_PORT.
 */
export const KEYS = [
  {
    key: 'PROXMOX_IP',
    field: 'host',
    aliases: ['host'],
    flag: 'proxmox-ip',
    kind: 'host',
    required: true,
    essential: true,
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
    flag: 'user-fq',
    kind: 'user-fq',
    required: true,
    essential: true,
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
    flag: 'token-name',
    kind: 'token-name',
    default: 'infra-token',
    essential: true,
    description: 'API token name; the token id is USER_FQ!TOKEN_NAME',
    template: {value: 'infra-token', comment: ['API token name; the token id is USER_FQ!TOKEN_NAME.']},
  },
  {
    key: 'TLS_SKIP',
    field: 'tlsSkip',
    aliases: ['tls_skip'],
    flag: 'tls-skip',
    kind: 'bool',
    default: 'true',
    essential: true,
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
    flag: 'http-port',
    kind: 'port',
    default: '8802',
    essential: true,
    description: 'Port of the Packer HTTP server (tfvars http_port)',
    template: {value: '8802', comment: ['Port of the Packer HTTP server (tfvars http_port).']},
  },
  {
    key: 'FALLBACK_STORAGE_VM',
    field: 'fallbackStorageVm',
    aliases: ['fallback_storage_vm'],
    flag: 'fallback-storage-vm',
    kind: 'storage',
    default: 'local-lvm',
    essential: true,
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
    flag: 'fallback-storage-iso',
    kind: 'storage',
    default: 'local',
    essential: true,
    description: 'ISO storage used when the host reports none',
    template: {value: 'local', comment: ['Storage for ISO images (content iso).']},
  },
  {
    key: 'FALLBACK_BRIDGE',
    field: 'fallbackBridge',
    aliases: ['fallback_bridge'],
    flag: 'fallback-bridge',
    kind: 'bridge',
    default: 'vmbr0',
    essential: true,
    description: 'Network bridge used when the host reports no active vmbr* bridge',
    template: {value: 'vmbr0', comment: ['Network bridge for VM NICs.']},
  },
  {
    key: 'PROXMOX_SSH_USERNAME',
    field: 'sshUsername',
    aliases: ['ssh_username'],
    flag: 'ssh-username',
    kind: 'username',
    default: 'root',
    essential: true,
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
    flag: 'ssh-key',
    kind: 'path',
    default: '~/.ssh/id_ed25519',
    essential: true,
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
    flag: 'http-bind-address',
    kind: 'address',
    essential: true,
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
    flag: 'api-port',
    kind: 'port',
    default: '8006',
    description: 'Port of the Proxmox API',
    template: {
      value: '8006',
      commented: true,
      comment: [
        '',
        'Optional keys, commented out (defaults, or examples where there is none).',
        'Port of the Proxmox API (e.g. behind a proxy).',
      ],
    },
  },
  {
    key: 'PROXMOX_API_HOST',
    field: 'apiHost',
    aliases: [],
    flag: 'api-host',
    kind: 'host',
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
    flag: 'ssh-port',
    kind: 'port',
    default: '22',
    description: 'SSH port of the Proxmox host',
    template: {value: '22', commented: true, comment: ['SSH port of the Proxmox host.']},
  },
  {
    key: 'FALLBACK_STORAGE_SNIPPETS',
    field: 'fallbackStorageSnippets',
    aliases: ['fallback_storage_snippets'],
    flag: 'fallback-storage-snippets',
    kind: 'storage',
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
    flag: 'tls-ca-file',
    kind: 'path',
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
    flag: 'ssh-public-key',
    kind: 'public-key',
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
    flag: 'ssh-config',
    kind: 'ssh-config',
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
    flag: 'ssh-sudo',
    kind: 'bool',
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
    flag: 'provider-ssh-user',
    kind: 'account',
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
    flag: 'provider-ssh-idmap',
    kind: 'bool',
    default: 'false',
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
    flag: 'privilege-profile',
    kind: 'privilege-profile',
    default: 'terraform',
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
    flag: 'privileges',
    kind: 'privileges',
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
    flag: 'role-name',
    kind: 'role-name',
    default: 'HyopsAutomation',
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
    flag: 'token-privsep',
    kind: 'bool',
    default: 'false',
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
    flag: 'token-expire',
    kind: 'days',
    default: '0',
    description: 'Days a new token lives (0: never expires)',
    template: {value: '0', commented: true, comment: ['Days a new token lives; 0 = it never expires.']},
  },
  {
    key: 'TOKEN_RENEW_DAYS',
    field: 'tokenRenewDays',
    aliases: [],
    flag: 'token-renew-days',
    kind: 'days',
    default: '14',
    description: 'Renew a token hyops made when it expires within this many days (0: only once expired)',
    template: {
      value: '14',
      commented: true,
      comment: ['A token hyops made that expires within this many days is renewed by the next run.'],
    },
  },
  {
    key: 'TOKEN_COMMENT',
    field: 'tokenComment',
    aliases: [],
    flag: 'token-comment',
    kind: 'comment',
    default: 'hyops automation (Terraform/Packer)',
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
    flag: 'api-token-id',
    kind: 'token-id',
    description: 'Token id user@realm!name (legacy; sets USER_FQ and TOKEN_NAME)',
  },
] as const satisfies readonly ProxmoxKeySpec[]
