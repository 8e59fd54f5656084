// The provider account's key pair: made here (ed25519), the private half in the vault first (nothing lost), then in
// a 0600 file under the root that the tfvars and `hyops env --format bpg` name. Only the public half travels.
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {ExitCode, HyopsError} from '../../errors.js'
import type {RuntimeLayout} from '../../runtime/layout.js'
import {writeFileSafely} from '../../runtime/safe-write.js'
import {generateWellFormedPair, publicKeyPath} from '../../ssh/keygen.js'
import {fingerprintSha256} from '../../ssh/known-hosts.js'
import type {LoadedVault} from '../../vault/vault-access.js'

/** The vault key holding the account's private key. */
export const PROVIDER_SSH_KEY_VAULT_KEY = 'PROXMOX_PROVIDER_SSH_KEY'

/** `<root>/credentials/proxmox-provider-ssh.key` (and `.pub`). */
export function providerKeyFile(layout: RuntimeLayout): string {
  return join(layout.dir('credentials'), 'proxmox-provider-ssh.key')
}

export interface AccountKey {
  privatePath: string
  /** `ssh-ed25519 AAAA... hyops-provider-<account>` */
  publicKey: string
  /** `SHA256:...` of the public key. */
  fingerprint: string
  /** made: new in this run; replaced: --force made a new one; kept: the vault's. */
  action: 'made' | 'replaced' | 'kept'
}

async function publicOf(privateKey: string, comment: string): Promise<{line: string; fingerprint: string}> {
  const utils = (await import('ssh2')).default.utils
  const parsed = utils.parseKey(privateKey)
  const key = Array.isArray(parsed) ? parsed[0] : parsed
  if (key instanceof Error || key === undefined || key.type !== 'ssh-ed25519') {
    throw new HyopsError(ExitCode.Secrets, `the vault's ${PROVIDER_SSH_KEY_VAULT_KEY} is not an ed25519 private key`, {
      hint: `remove it with "hyops vault unset ${PROVIDER_SSH_KEY_VAULT_KEY}" or re-run with --force to make a new one`,
      reason: 'provider-key',
    })
  }

  const blob = key.getPublicSSH()
  return {fingerprint: fingerprintSha256(blob), line: `ssh-ed25519 ${blob.toString('base64')} ${comment}`}
}

/**
 * The account's key: the vault's (its file rewritten when missing or different), or a new pair (`replace`:
 * --force) stored in the vault before its file is written.
 */
export async function ensureAccountKey(request: {
  vault: LoadedVault
  file: string
  account: string
  replace: boolean
  /** Registers the private key with the run's redactor. */
  secret?: (text: string) => void
}): Promise<AccountKey> {
  const {file, vault} = request
  const comment = `hyops-provider-${request.account}`
  let privateKey = vault.values[PROVIDER_SSH_KEY_VAULT_KEY]
  let action: AccountKey['action'] = 'kept'
  if (!privateKey || request.replace) {
    action = privateKey ? 'replaced' : 'made'
    privateKey = (await generateWellFormedPair(comment)).private
    if (!privateKey.endsWith('\n')) privateKey += '\n'
    request.secret?.(privateKey)
    await vault.ensureWritable()
    await vault.update({[PROVIDER_SSH_KEY_VAULT_KEY]: privateKey})
  }

  request.secret?.(privateKey)
  const {fingerprint, line} = await publicOf(privateKey, comment)
  const onDisk = await readFile(file, 'utf8').catch(() => undefined)
  if (onDisk !== privateKey) await writeFileSafely(file, privateKey, {mode: 0o600})
  const pubOnDisk = await readFile(publicKeyPath(file), 'utf8').catch(() => undefined)
  if (pubOnDisk !== `${line}\n`) await writeFileSafely(publicKeyPath(file), `${line}\n`, {mode: 0o644})
  return {action, fingerprint, privatePath: file, publicKey: line}
}
