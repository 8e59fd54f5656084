import {dirname, isAbsolute, resolve} from 'node:path'

import {readCredentialsTfvars} from '../../env/credentials-file.js'
import type {EnvRequest} from '../../env/hook.js'
import {ExitCode, HyopsError} from '../../errors.js'
import {expandHome} from '../../runtime/root.js'
import {readSavedClusterCa} from '../bootstrap/cluster-ca.js'
import {configKeySpec} from '../config/keys.js'
import {readProxmoxConfig, readTlsCaFile} from '../config/resolve.js'
import {TOKEN_SECRET_KEY} from '../secret/known-secret.js'

/** A tfvars value as the credentials file holds it. */
export type TfvarsValue = boolean | number | string | Readonly<Record<string, string>>

/** What the Proxmox formats are made from: the credentials file, the secret, the CA. */
export interface ProxmoxCredentials {
  /** Every name of the credentials file, `proxmox_token_secret` the secret found. */
  tfvars: Record<string, TfvarsValue>
  url: string
  tokenId: string
  userFq: string
  tokenName: string
  secret: string
  skipTls: boolean
  /** The CA the API is verified against (TLS_CA_FILE or the saved cluster CA); none with TLS_SKIP. */
  caPem?: string
}

/**
 * Reads this root's Proxmox credentials: `<root>/credentials/proxmox.credentials.tfvars`,
 * the secret from the vault's PROXMOX_TOKEN_SECRET (else the file's, also when the vault has
 * no password source here), and, with verified TLS, TLS_CA_FILE (HYOPS_PROXMOX_TLS_CA_FILE or
 * the config) or the cluster CA init saved. A missing or garbled file is exit 21.
 */
export async function readProxmoxCredentials(request: Omit<EnvRequest, 'format'>): Promise<ProxmoxCredentials> {
  const file = request.layout.credentialsFile('proxmox')
  const hint = 'run hyops init proxmox on this root to write it again'
  const tfvars: Record<string, TfvarsValue> = (await readCredentialsTfvars(file, {hint}))!

  const text = (name: string): string => {
    const value = tfvars[name]
    if (typeof value !== 'string' || value === '')
      throw new HyopsError(ExitCode.Secrets, `the credentials file ${file} has no ${name}`, {hint})
    return value
  }

  const url = text('proxmox_url')
  const tokenId = text('proxmox_token_id')
  const bang = tokenId.lastIndexOf('!')
  if (bang <= 0) throw new HyopsError(ExitCode.Secrets, `proxmox_token_id in ${file} is not user@realm!name`, {hint})
  const secret = (await vaultSecret(request)) ?? stringOr(tfvars.proxmox_token_secret)
  if (!secret) {
    throw new HyopsError(ExitCode.Secrets, `no token secret in the vault or in ${file}`, {
      hint: `${hint}, or store it with hyops vault set ${TOKEN_SECRET_KEY}`,
    })
  }

  const skipTls = tfvars.proxmox_skip_tls !== false
  return {
    caPem: skipTls ? undefined : await verifyingCa(request),
    secret,
    skipTls,
    tfvars: {...tfvars, proxmox_token_secret: secret},
    tokenId,
    tokenName: tokenId.slice(bang + 1),
    url,
    userFq: tokenId.slice(0, bang),
  }
}

function stringOr(value: TfvarsValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** The vault's secret; undefined when there is none, or no vault password can be had here. */
async function vaultSecret(request: Omit<EnvRequest, 'format'>): Promise<string | undefined> {
  try {
    return stringOr((await request.openVault()).values[TOKEN_SECRET_KEY])
  } catch (error) {
    if (error instanceof HyopsError && error.reason === 'no-password') return undefined
    throw error
  }
}

/** TLS_CA_FILE as init resolves it (environment, then the config file), else the saved cluster CA. */
async function verifyingCa(request: Omit<EnvRequest, 'format'>): Promise<string | undefined> {
  const fromEnv = request.environment[configKeySpec('TLS_CA_FILE').env]?.trim()
  if (fromEnv) return readTlsCaFile(resolve(expandHome(fromEnv)))
  const configPath = typeof request.marker.paths?.config === 'string' ? request.marker.paths.config : undefined
  const config = await readProxmoxConfig(configPath ?? request.layout.configFile('proxmox'))
  const fromConfig = config.values.TLS_CA_FILE
  if (fromConfig) {
    const path = expandHome(fromConfig)
    return readTlsCaFile(isAbsolute(path) ? path : resolve(dirname(config.path), path))
  }

  return readSavedClusterCa(request.layout)
}
