import {Args, Command} from '@oclif/core'

import {ExitCode, HyopsError} from '../errors.js'
import {canPrompt} from '../ux/terminal.js'
import {isValidEnvKey} from '../vault/env-file.js'
import type {LoadedVault} from '../vault/vault-access.js'
import {rootFlags, vaultFlags} from './flags.js'
import {HyopsCommand, type HyopsFlags} from './hyops-command.js'
import {loadRuntimeVault, type VaultFlagValues, vaultFileOf} from './runtime-vault.js'

/** The `KEY` argument of `hyops vault get|set|unset`. */
/** The closing paragraph of every vault command's description. */
export const VAULT_PASSWORD_HELP =
  'The vault password comes from --vault-password-file, --vault-password-command, then ' +
  'HYOPS_VAULT_PASSWORD_FILE, ANSIBLE_VAULT_PASSWORD_FILE or HYOPS_VAULT_PASSWORD_COMMAND, ' +
  'else a hidden prompt on a terminal.'

export const vaultKeyArg = Args.string({description: 'Vault key, e.g. PROXMOX_TOKEN_SECRET', required: true})

/**
 * The base of `hyops vault <verb>`: the root flags and the vault flags, and the vault opened
 * through the `hyops:load-vault` hook as `hyops init` targets open it.
 */
export abstract class VaultCommand<T extends typeof Command> extends HyopsCommand<T> {
  static override baseFlags = {...rootFlags, ...vaultFlags}

  // The base flags are this class's, so the parsed flags hold them (`HyopsCommand.init` parses them).
  declare protected flags: HyopsFlags<T> & VaultFlagValues

  /** The parsed vault flags. */
  protected get vaultFlags(): VaultFlagValues {
    return this.flags
  }

  /** `--vault-file`, or `<root>/vault/bootstrap.vault.env`. */
  protected vaultFile(): string {
    return vaultFileOf(this.vaultFlags, this.layout())
  }

  /**
   * True when a hidden prompt can be answered: stdin and stderr (where prompts draw, so that
   * stdout can be piped) are TTYs and `--non-interactive` is not given.
   */
  protected interactive(): boolean {
    return canPrompt(this.vaultFlags['non-interactive'], {input: process.stdin, output: process.stderr})
  }

  /** Opens the vault (decrypting it when it exists) through the `hyops:load-vault` hook. */
  protected async openVault(): Promise<LoadedVault> {
    return loadRuntimeVault(this.config, this.vaultFlags, {
      interactive: this.interactive(),
      vaultFile: this.vaultFile(),
    })
  }

  /** The KEY argument, checked: exit 2 when it is not a valid name. */
  protected vaultKey(): string {
    const key = (this.args as {KEY?: string}).KEY ?? ''
    if (!isValidEnvKey(key)) {
      throw new HyopsError(ExitCode.Usage, `"${key}" is not a valid vault key`, {
        hint: 'use letters, digits and _, not starting with a digit, e.g. PROXMOX_TOKEN_SECRET',
      })
    }

    return key
  }
}
