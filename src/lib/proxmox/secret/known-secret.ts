import type {LoadedVault} from '../../vault/vault-access.js'
import {readUserText, SMALL_FILE_MAX_BYTES} from '../../runtime/user-file.js'
import {parseTfvars} from '../outputs/tfvars.js'

/** The vault key that holds the Proxmox token secret. */
export const TOKEN_SECRET_KEY = 'PROXMOX_TOKEN_SECRET'
/** The vault key beside it naming the token id the secret is for (vaults written before it have none). */
export const TOKEN_ID_KEY = 'PROXMOX_TOKEN_ID'
/** Where a still-unknown secret of another token id is kept when a new one takes its place. */
export const PREVIOUS_SECRET_KEY = 'PROXMOX_PREVIOUS_TOKEN_SECRET'
export const PREVIOUS_ID_KEY = 'PROXMOX_PREVIOUS_TOKEN_ID'

/** The token id the vault's secret is for, when the vault says so and it is not `tokenId`. */
export function vaultSecretIsFor(vault: Pick<LoadedVault, 'values'>, tokenId: string): string | undefined {
  const id = vault.values[TOKEN_ID_KEY]
  return vault.values[TOKEN_SECRET_KEY] && id && id !== tokenId ? id : undefined
}

/**
 * The vault changes that store `secret` for `tokenId`: the secret and its token id and, when the vault holds
 * a different secret that may belong to another token (another id, or no id recorded), that one kept under
 * PROXMOX_PREVIOUS_TOKEN_SECRET/_ID rather than overwritten. `previous` names what was kept, for a note.
 */
export function vaultEntryFor(
  vault: Pick<LoadedVault, 'values'>,
  tokenId: string,
  secret: string,
  /** The host just removed this token id: an old secret without an id was its, and is dead. */
  removed = false,
): {changes: Record<string, string>; previous?: string} {
  const changes: Record<string, string> = {[TOKEN_ID_KEY]: tokenId, [TOKEN_SECRET_KEY]: secret}
  const old = vault.values[TOKEN_SECRET_KEY]
  const oldId = vault.values[TOKEN_ID_KEY]
  if (!old || old === secret || oldId === tokenId || (removed && oldId === undefined)) return {changes}
  changes[PREVIOUS_SECRET_KEY] = old
  changes[PREVIOUS_ID_KEY] = oldId ?? 'unknown'
  return {changes, previous: `the secret of ${oldId ?? 'the token the vault had before'} as ${PREVIOUS_SECRET_KEY}`}
}

/** A secret this env already has, and where it was found. */
export interface KnownSecret {
  secret: string
  /** `vault`; or `credentials` when only this env's tfvars held it (put back into the vault once valid). */
  origin: 'credentials' | 'vault'
}

/**
 * This env's secret: the vault's PROXMOX_TOKEN_SECRET (unless PROXMOX_TOKEN_ID says it is another token's),
 * else the `proxmox_token_secret` of this env's credentials file when that file is for the same token id.
 * An unreadable or garbled credentials file counts as none.
 */
export async function findKnownSecret(
  vault: LoadedVault,
  credentialsFile: string,
  tokenId: string,
): Promise<KnownSecret | undefined> {
  const fromVault = vault.values[TOKEN_SECRET_KEY]
  // A secret recorded for another token id is never taken (nor validated) as this one's.
  if (fromVault && !vaultSecretIsFor(vault, tokenId)) return {origin: 'vault', secret: fromVault}
  const fromCredentials = await secretFromTfvars(credentialsFile, tokenId)
  return fromCredentials ? {origin: 'credentials', secret: fromCredentials} : undefined
}

/** The secret of a proxmox tfvars file when its `proxmox_token_id` is `tokenId`. */
export async function secretFromTfvars(path: string, tokenId: string): Promise<string | undefined> {
  try {
    const values = parseTfvars(await readUserText(path, {maxBytes: SMALL_FILE_MAX_BYTES}))
    const secret = values.proxmox_token_secret
    return values.proxmox_token_id === tokenId && typeof secret === 'string' && secret !== '' ? secret : undefined
  } catch {
    return undefined
  }
}
