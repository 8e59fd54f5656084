import type {Config, Interfaces} from '@oclif/core'

import {runOwnedHook} from '../hooks/events.js'
import type {vaultFlags} from './flags.js'
import type {RuntimeLayout} from '../runtime/layout.js'
import {expandHome} from '../runtime/root.js'
import type {LoadedVault, VaultAccessOptions} from '../vault/vault-access.js'

/** The vault flags (`vaultFlags`) as parsed, for `hyops init <target>` and `hyops vault` alike. */
export type VaultFlagValues = Interfaces.InferredFlags<typeof vaultFlags>

/** `--vault-file` (with `~` expanded), or the layout's `<root>/vault/bootstrap.vault.env`. */
export function vaultFileOf(flags: VaultFlagValues, layout: RuntimeLayout): string {
  const flag = flags['vault-file']
  return flag ? expandHome(flag) : layout.vaultFile
}

/** The password sources the flags name (`--vault-password-file` with `~` expanded). */
export function vaultPasswordFlags(
  flags: VaultFlagValues,
): Pick<VaultAccessOptions, 'passwordCommand' | 'passwordFile'> {
  const file = flags['vault-password-file']
  return {passwordCommand: flags['vault-password-command'], passwordFile: file ? expandHome(file) : undefined}
}

/** Opens the runtime vault through the `hyops:load-vault` hook, with the password sources of the flags. */
export async function loadRuntimeVault(
  config: Config,
  flags: VaultFlagValues,
  access: {vaultFile: string; interactive: boolean},
): Promise<LoadedVault> {
  return runOwnedHook(config, 'hyops:load-vault', {
    ...vaultPasswordFlags(flags),
    interactive: access.interactive,
    vaultFile: access.vaultFile,
  })
}
