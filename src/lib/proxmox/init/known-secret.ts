import {readFile} from 'node:fs/promises'

import type {LoadedVault} from '../../vault/vault-access.js'
import {parseTfvars} from '../outputs/tfvars.js'

/** The vault key that holds the Proxmox token secret. */
export const TOKEN_SECRET_KEY = 'PROXMOX_TOKEN_SECRET'

/** A secret this env already has, and where it was found. */
export interface KnownSecret {
  secret: string
  /** `vault`; or `credentials` when only this env's tfvars held it (put back into the vault once valid). */
  origin: 'credentials' | 'vault'
}

/**
 * This env's secret: the vault's PROXMOX_TOKEN_SECRET, else the `proxmox_token_secret` of this
 * env's credentials file when that file is for the same token id. An unreadable or garbled
 * credentials file counts as none.
 */
export async function findKnownSecret(
  vault: LoadedVault,
  credentialsFile: string,
  tokenId: string,
): Promise<KnownSecret | undefined> {
  const fromVault = vault.values[TOKEN_SECRET_KEY]
  if (fromVault) return {origin: 'vault', secret: fromVault}
  const fromCredentials = await secretFromTfvars(credentialsFile, tokenId)
  return fromCredentials ? {origin: 'credentials', secret: fromCredentials} : undefined
}

/** The secret of a proxmox tfvars file when its `proxmox_token_id` is `tokenId`. */
export async function secretFromTfvars(path: string, tokenId: string): Promise<string | undefined> {
  try {
    const values = parseTfvars(await readFile(path, 'utf8'))
    const secret = values.proxmox_token_secret
    return values.proxmox_token_id === tokenId && typeof secret === 'string' && secret !== '' ? secret : undefined
  } catch {
    return undefined
  }
}
