import type {EnvFormatInfo, EnvVariable} from '../../env/hook.js'
import {ExitCode, HyopsError} from '../../errors.js'
import {KEY_FILE_MAX_BYTES, readUserText, unreadableReason} from '../../runtime/user-file.js'
import {parseProxmoxUrl} from '../api/url.js'
import {hclValue} from '../outputs/tfvars.js'
import type {ProxmoxCredentials, TfvarsValue} from './credentials.js'

/** The formats of the proxmox target; `tfvars` is the default. */
export const PROXMOX_ENV_FORMATS: readonly EnvFormatInfo[] = [
  {name: 'tfvars', summary: 'TF_VAR_<name> for each name of the credentials tfvars (any Terraform provider)'},
  {name: 'bpg', summary: 'bpg/proxmox provider: PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN, ...'},
  {name: 'telmate', summary: 'Telmate/proxmox provider: PM_API_URL, PM_API_TOKEN_ID, PM_API_TOKEN_SECRET, ...'},
  {name: 'packer', summary: 'Packer proxmox builders: PROXMOX_URL, PROXMOX_USERNAME, PROXMOX_TOKEN, PKR_VAR_<name>'},
  {name: 'ansible', summary: 'community.general proxmox modules: PROXMOX_HOST, PROXMOX_USER, PROXMOX_TOKEN_ID, ...'},
]

/**
 * The names of the credentials tfvars, in the order of docs/proxmox.md, "The credentials file"
 * (`ssh_public_key` only when the file has it).
 */
export const PROXMOX_TFVARS_NAMES = [
  'proxmox_url',
  'proxmox_token_id',
  'proxmox_token_secret',
  'proxmox_node',
  'proxmox_skip_tls',
  'proxmox_ssh_username',
  'proxmox_ssh_key',
  'storage_pool',
  'storage_iso',
  'storage_snippets',
  'network_bridge',
  'http_bind_address',
  'http_port',
  'ssh_public_key',
  'proxmox_ssh_nodes',
] as const

const SECRET_NAMES: ReadonlySet<string> = new Set(['proxmox_token_secret'])

/** `<prefix><name>` for each tfvars name the file has: bools as true/false, numbers in decimal. */
function prefixed(prefix: string, credentials: ProxmoxCredentials): EnvVariable[] {
  const out: EnvVariable[] = []
  for (const name of PROXMOX_TFVARS_NAMES) {
    const value: TfvarsValue | undefined = credentials.tfvars[name]
    if (value === undefined) continue
    // A map goes as HCL, which Terraform reads for a map-typed TF_VAR_ variable.
    const text = typeof value === 'object' ? hclValue(value) : String(value)
    out.push({name: `${prefix}${name}`, secret: SECRET_NAMES.has(name) || undefined, value: text})
  }

  return out
}

/** The API URL without `/api2/json` (bpg's endpoint): `https://host:8006/`. */
export function endpointOf(url: string): string {
  return url.replace(/\/api2\/json\/?$/, '/')
}

const bool = (value: boolean) => (value ? 'true' : 'false')

/** The variables of one format (a format name from `PROXMOX_ENV_FORMATS`). */
export async function proxmoxFormatVariables(format: string, c: ProxmoxCredentials): Promise<EnvVariable[]> {
  switch (format) {
    case 'tfvars': {
      return prefixed('TF_VAR_', c)
    }

    case 'bpg': {
      const vars: EnvVariable[] = [
        {name: 'PROXMOX_VE_ENDPOINT', value: endpointOf(c.url)},
        {name: 'PROXMOX_VE_API_TOKEN', secret: true, value: `${c.tokenId}=${c.secret}`},
        {name: 'PROXMOX_VE_INSECURE', value: bool(c.skipTls)},
      ]
      if (typeof c.tfvars.proxmox_ssh_username === 'string')
        vars.push({name: 'PROXMOX_VE_SSH_USERNAME', value: c.tfvars.proxmox_ssh_username})
      const key = typeof c.tfvars.proxmox_ssh_key === 'string' ? await readKey(c.tfvars.proxmox_ssh_key) : undefined
      if (key !== undefined) vars.push({name: 'PROXMOX_VE_SSH_PRIVATE_KEY', secret: true, value: key})
      return vars
    }

    case 'telmate': {
      return [
        {name: 'PM_API_URL', value: c.url},
        {name: 'PM_API_TOKEN_ID', value: c.tokenId},
        {name: 'PM_API_TOKEN_SECRET', secret: true, value: c.secret},
        {name: 'PM_TLS_INSECURE', value: bool(c.skipTls)},
      ]
    }

    case 'packer': {
      return [
        {name: 'PROXMOX_URL', value: c.url},
        {name: 'PROXMOX_USERNAME', value: c.tokenId},
        {name: 'PROXMOX_TOKEN', secret: true, value: c.secret},
        ...prefixed('PKR_VAR_', c),
      ]
    }

    case 'ansible': {
      const api = parseProxmoxUrl(c.url)
      return [
        {name: 'PROXMOX_HOST', value: api?.host ?? c.url},
        {name: 'PROXMOX_PORT', value: String(api?.port ?? 8006)},
        {name: 'PROXMOX_USER', value: c.userFq},
        {name: 'PROXMOX_TOKEN_ID', value: c.tokenName},
        {name: 'PROXMOX_TOKEN_SECRET', secret: true, value: c.secret},
        {name: 'PROXMOX_VALIDATE_CERTS', value: bool(!c.skipTls)},
      ]
    }

    default: {
      throw new TypeError(`unknown proxmox format ${format}`)
    }
  }
}

/**
 * The private key's text, for bpg's `ssh.private_key`; undefined when it is not here (missing, or not
 * readable by this user). A FIFO, a device, a directory or a huge file there is exit 21 naming it.
 */
async function readKey(path: string): Promise<string | undefined> {
  try {
    return await readUserText(path, {maxBytes: KEY_FILE_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EACCES') return undefined
    throw new HyopsError(
      ExitCode.Secrets,
      `the private key ${path} (proxmox_ssh_key of the credentials file) cannot be read: ${unreadableReason(error)}`,
      {hint: 'point PROXMOX_SSH_KEY at a private key file and run hyops init proxmox again', reason: 'credentials'},
    )
  }
}
