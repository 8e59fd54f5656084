import {
  CA_FILE_MAX_BYTES,
  ExitCode,
  HyopsError,
  readCredentialsTfvars,
  readUserText,
  type EnvRequest,
  type EnvTarget,
  type EnvVariable,
} from 'hyops'

import {DEFAULT_HCLOUD_API, loadHetznerConfig} from './config.js'
import {HETZNER_TARGET, TOKEN_KEY} from './target.js'

/**
 * The hetzner target of `hyops env` and `hyops exec`: `hcloud` for the hcloud CLI and the
 * hcloud Terraform provider (HCLOUD_TOKEN, and HCLOUD_ENDPOINT for an API other than the
 * public one), `tfvars` for a configuration that declares `hcloud_token` (TF_VAR_hcloud_token).
 * With HCLOUD_CA_FILE in the config, the core adds SSL_CERT_FILE.
 */
export const hetznerEnvTarget: EnvTarget = {
  defaultFormat: 'hcloud',
  formats: [
    {
      name: 'hcloud',
      summary: 'hcloud CLI and Terraform provider: HCLOUD_TOKEN (HCLOUD_ENDPOINT when not the public API)',
    },
    {name: 'tfvars', summary: 'TF_VAR_hcloud_token, the name of the credentials tfvars'},
  ],
  target: HETZNER_TARGET,
  async variables(request) {
    const token = await hetznerToken(request)
    const config = await loadHetznerConfig(
      stringPath(request.marker.paths?.config) ?? request.layout.configFile(HETZNER_TARGET),
      request.layout.root,
    )
    const caPem = config?.caFile
      ? await readUserText(config.caFile, {maxBytes: CA_FILE_MAX_BYTES}).catch(() => undefined)
      : undefined
    const variables: EnvVariable[] =
      request.format === 'tfvars'
        ? [{name: 'TF_VAR_hcloud_token', secret: true, value: token}]
        : [{name: TOKEN_KEY, secret: true, value: token}]
    if (request.format === 'hcloud' && config && config.apiUrl !== DEFAULT_HCLOUD_API)
      variables.push({name: 'HCLOUD_ENDPOINT', value: `${config.apiUrl}/v1`})
    return {caPem, variables}
  },
}

function stringPath(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * The token init validated: `hcloud_token` of the credentials file the marker names; else
 * HCLOUD_TOKEN of the vault (init saves it there only when it came from --token or the prompt,
 * so the credentials file is the fresher one). None: exit 21.
 */
export async function hetznerToken(request: Omit<EnvRequest, 'format'>): Promise<string> {
  const file = stringPath(request.marker.paths?.credentials) ?? request.layout.credentialsFile(HETZNER_TARGET)
  const values = await readCredentialsTfvars(file, {hint: 'run hyops init hetzner on this root', optional: true})
  const fromFile = values?.hcloud_token
  if (typeof fromFile === 'string' && fromFile !== '') return fromFile
  const fromVault = await request.openVault().then(
    (vault) => vault.values[TOKEN_KEY],
    () => undefined,
  )
  if (fromVault) return fromVault
  throw new HyopsError(ExitCode.Secrets, `no Hetzner token in ${file} or the vault`, {
    hint: 'run hyops init hetzner on this root',
    reason: 'credentials',
  })
}
