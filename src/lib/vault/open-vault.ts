import {realpath} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'

import {ExitCode, HyopsError} from '../errors.js'
import {makePrivateDir} from '../runtime/layout.js'
import {acquireLock} from '../runtime/lock.js'
import {expandHome} from '../runtime/root.js'
import {writeFileSafely} from '../runtime/safe-write.js'
import {decryptVault, encryptVault, type VaultHeader} from './ansible-vault.js'
import {DEFAULT_ENV_HEADER, formatEnvFile, isValidEnvKey, parseEnvFile, type EnvFile} from './env-file.js'
import {resolveVaultPassword, type VaultPassword} from './password.js'
import type {LoadedVault, VaultAccessOptions} from './vault-access.js'
import {LARGE_FILE_MAX_BYTES, readUserFile, unreadableReason} from '../runtime/user-file.js'

const LOCK_WAIT_MS = 15_000

/**
 * Opens the runtime vault. An existing vault is decrypted now (its password resolved from the
 * sources of `resolveVaultPassword`); a missing one opens empty, and its password is asked
 * for only when `update` first creates it. Failures are HyopsErrors with exit 21.
 */
export async function openVault(options: VaultAccessOptions): Promise<LoadedVault> {
  const file = resolve(expandHome(options.vaultFile))
  const data = await readVaultFile(file)
  if (data === undefined) return new RuntimeVault(file, options)
  const password = await resolveVaultPassword(options, {creating: false, vaultFile: file})
  const content = await decryptContent(file, data, password)
  return new RuntimeVault(file, options, password, content)
}

/** A vault file decrypted: its bytes, its header and its env file. */
interface VaultContent {
  data: Buffer
  header: VaultHeader
  env: EnvFile
}

class RuntimeVault implements LoadedVault {
  readonly file: string
  private readonly options: VaultAccessOptions
  private password?: VaultPassword
  private content?: VaultContent

  constructor(file: string, options: VaultAccessOptions, password?: VaultPassword, content?: VaultContent) {
    this.file = file
    this.options = options
    this.password = password
    this.content = content
  }

  get exists(): boolean {
    return this.content !== undefined
  }

  get values(): Readonly<Record<string, string>> {
    return this.content?.env.values ?? {}
  }

  get passwordSource(): string | undefined {
    return this.password?.source
  }

  async ensureWritable(): Promise<void> {
    await this.writePassword()
  }

  /** The password a write encrypts with: the one the vault was opened with, else resolved now. */
  private async writePassword(): Promise<VaultPassword> {
    this.password ??= await resolveVaultPassword(this.options, {
      creating: (await readVaultFile(this.file)) === undefined,
      vaultFile: this.file,
    })
    return this.password
  }

  async update(changes: Record<string, string | undefined>): Promise<Record<string, string>> {
    for (const [key, value] of Object.entries(changes)) {
      if (!isValidEnvKey(key))
        throw new HyopsError(ExitCode.Usage, `"${key}" is not a valid vault key`, {
          hint: 'use letters, digits and _, not starting with a digit',
        })
      if (value !== undefined && typeof value !== 'string')
        throw new HyopsError(ExitCode.Usage, `the value of ${key} is not a string`)
    }

    // Asked before the lock is taken, so that a person typing does not hold other writers up.
    const password = await this.writePassword()
    await makePrivateDir(dirname(this.file))
    const lock = await acquireLock(`${this.file}.lock`, {
      purpose: `another write to the vault ${this.file}`,
      waitMs: LOCK_WAIT_MS,
    })
    try {
      const data = await readVaultFile(this.file)
      // Bytes unchanged since they were decrypted need no second key derivation.
      const current =
        data === undefined
          ? undefined
          : this.content?.data.equals(data)
            ? this.content
            : await decryptContent(this.file, data, password)
      if (current && current.env.invalidLines.length > 0) {
        throw new HyopsError(
          ExitCode.Secrets,
          `the vault ${this.file} has lines that are not KEY=value (line ` +
            `${current.env.invalidLines.join(', ')}); hyops leaves it unchanged`,
          {
            hint: 'fix those lines with ansible-vault edit, then retry',
            reason: 'damaged',
          },
        )
      }

      const merged = new Map(Object.entries(current?.env.values ?? {}))
      let changed = current === undefined
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined ? merged.delete(key) : merged.get(key) !== value) changed = true
        if (value !== undefined) merged.set(key, value)
      }

      const values = Object.fromEntries(merged) as Record<string, string>
      const comments = current && current.env.comments.length > 0 ? current.env.comments : DEFAULT_ENV_HEADER
      const header = current?.header ?? {cipher: 'AES256', version: '1.1'}
      let written = data
      if (changed || written === undefined) {
        written = Buffer.from(
          await encryptVault(formatEnvFile(values, comments), password.bytes, {label: header.label}),
        )
        await writeFileSafely(await realpath(this.file).catch(() => this.file), written, {mode: 0o600})
      }

      this.content = {data: written, env: {comments, invalidLines: [], values}, header}
      return {...values}
    } finally {
      await lock.release()
    }
  }
}

/** The vault's bytes, or undefined when there is no file. */
async function readVaultFile(file: string): Promise<Buffer | undefined> {
  try {
    return await readUserFile(file, {maxBytes: LARGE_FILE_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    const why = unreadableReason(error)
    throw new HyopsError(ExitCode.Secrets, `cannot read the vault ${file}: ${why}`, {
      hint: 'check --vault-file and the file permissions',
    })
  }
}

async function decryptContent(file: string, data: Buffer, password: VaultPassword): Promise<VaultContent> {
  const decrypted = await decryptVault(data, password.bytes, {source: file})
  let text: string
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(decrypted.plaintext)
  } catch {
    throw new HyopsError(ExitCode.Secrets, `the vault ${file} does not hold UTF-8 text`, {
      hint: 'it should hold KEY="value" lines; check it with ansible-vault view',
      reason: 'damaged',
    })
  }

  return {
    data,
    env: parseEnvFile(text),
    header: {cipher: decrypted.cipher, label: decrypted.label, version: decrypted.version},
  }
}
