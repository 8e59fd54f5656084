import {VaultCommand, VAULT_PASSWORD_HELP} from '../../lib/command/vault-command.js'

export interface VaultKeysResult {
  vault: string
  exists: boolean
  keys: string[]
}

export default class VaultKeys extends VaultCommand<typeof VaultKeys> {
  static override summary = 'List the keys held in the runtime vault (names only)'
  static override description =
    `Decrypts the ansible-vault env file (default <root>/vault/bootstrap.vault.env) and prints ` +
    `its key names, one a line, sorted. Values are never shown. A vault that does not exist ` +
    `yet lists nothing.

` +
    VAULT_PASSWORD_HELP
  static override examples = [
    '<%= config.bin %> <%= command.id %> --vault-password-file ~/.vault-pass',
    '<%= config.bin %> <%= command.id %> --env staging --vault-password-command "pass show hyops/vault" --json',
  ]

  public async run(): Promise<VaultKeysResult> {
    const vault = await this.openVault()
    const keys = Object.keys(vault.values).sort()
    if (!vault.exists) this.note(`The vault ${vault.file} does not exist yet.`)
    for (const key of keys) this.log(key)
    return {exists: vault.exists, keys, vault: vault.file}
  }
}
