import {VaultCommand, vaultKeyArg, VAULT_PASSWORD_HELP} from '../../lib/command/vault-command.js'

export interface VaultUnsetResult {
  key: string
  vault: string
  removed: boolean
}

export default class VaultUnset extends VaultCommand<typeof VaultUnset> {
  static override summary = 'Remove one key from the vault'
  static override description =
    `Removes KEY from the runtime vault: decrypts it, drops the key, encrypts it again and ` +
    `replaces the file atomically (mode 0600), under a lock so that concurrent writers keep ` +
    `each other's keys. A key that is not there is not an error: nothing is written.

` +
    VAULT_PASSWORD_HELP
  static override args = {KEY: vaultKeyArg}
  static override examples = [
    '<%= config.bin %> <%= command.id %> OLD_TOKEN_SECRET --vault-password-file ~/.vault-pass',
  ]

  public async run(): Promise<VaultUnsetResult> {
    const key = this.vaultKey()
    const vault = await this.openVault()
    if (!Object.hasOwn(vault.values, key)) {
      this.note(`${key} is not in the vault ${vault.file}; nothing to remove.`)
      return {key, removed: false, vault: vault.file}
    }

    await vault.update({[key]: undefined})
    this.note(`Removed ${key} from ${vault.file}.`)
    return {key, removed: true, vault: vault.file}
  }
}
