import type {PromptStreams} from '../ux/prompts.js'

/** How a command reaches the runtime vault. */
export interface VaultAccessOptions {
  /** The ansible-vault file, normally `<root>/vault/bootstrap.vault.env`. */
  vaultFile: string
  /** `--vault-password-file`. */
  passwordFile?: string
  /** `--vault-password-command`, run by /bin/sh; its stdout is the password. */
  passwordCommand?: string
  /** A hidden prompt may be shown when no other source gives a password. */
  interactive: boolean
  /** Defaults to `process.env` (HYOPS_VAULT_PASSWORD_FILE and friends). */
  environment?: NodeJS.ProcessEnv
  /** How long a password command may run; 30 s unless given. */
  passwordCommandTimeoutMs?: number
  /** Where the hidden prompt reads and draws (stdin and stderr unless given). */
  promptStreams?: PromptStreams
}

/** An opened vault: its values, and a locked read-merge-write to change them. */
export interface LoadedVault {
  readonly file: string
  readonly exists: boolean
  /** Decrypted values; empty when the vault does not exist yet. */
  readonly values: Readonly<Record<string, string>>
  /** Where the password came from (`--vault-password-file`, `prompt`, ...), when one was needed. */
  readonly passwordSource?: string
  /**
   * Sets (string) or removes (undefined) keys: under a lock, re-reads the file, merges,
   * encrypts, replaces atomically with mode 0600. Creates the vault when it is missing.
   * Returns the values now stored.
   */
  update(changes: Record<string, string | undefined>): Promise<Record<string, string>>
  /**
   * (Requested by the coordinator for init proxmox.) Makes sure a later `update` can encrypt:
   * resolves the password now (prompting when interactive, twice for a new vault) without
   * writing anything. Throws exit 21 naming the flags when no password source exists.
   * Called before a token is created on a host, so a new secret always has a place to go.
   */
  ensureWritable(): Promise<void>
}
