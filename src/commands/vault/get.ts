import {ExitCode, HyopsError} from '../../lib/errors.js'
import {VaultCommand, vaultKeyArg, VAULT_PASSWORD_HELP} from '../../lib/command/vault-command.js'

export interface VaultGetResult {
  key: string
  value: string
}

export default class VaultGet extends VaultCommand<typeof VaultGet> {
  static override summary = 'Print the value of one vault key'
  static override description =
    `Decrypts the runtime vault and prints the value of KEY exactly as stored: no trailing ` +
    `newline is added when stdout is not a terminal, so $(hyops vault get KEY) and pipes get ` +
    `the value byte for byte. Exits 1 when the key is not in the vault.

` +
    VAULT_PASSWORD_HELP
  static override args = {KEY: vaultKeyArg}
  static override examples = [
    '<%= config.bin %> <%= command.id %> PROXMOX_TOKEN_SECRET --vault-password-file ~/.vault-pass',
    'SECRET="$(<%= config.bin %> <%= command.id %> PROXMOX_TOKEN_SECRET --env staging --non-interactive)"',
  ]

  public async run(): Promise<VaultGetResult> {
    const key = this.vaultKey()
    const vault = await this.openVault()
    if (!Object.hasOwn(vault.values, key)) {
      throw new HyopsError(
        ExitCode.Failure,
        `${key} is not in the vault ${vault.file}${vault.exists ? '' : ' (the vault does not exist yet)'}`,
        {
          hint: `list the keys with hyops vault keys, or store it with hyops vault set ${key}`,
        },
      )
    }

    const value = vault.values[key]
    if (!this.jsonEnabled()) process.stdout.write(process.stdout.isTTY ? value + '\n' : value)
    return {key, value}
  }
}
