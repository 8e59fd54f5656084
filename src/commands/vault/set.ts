import {ExitCode, HyopsError} from '../../lib/errors.js'
import {VaultCommand, vaultKeyArg, VAULT_PASSWORD_HELP} from '../../lib/command/vault-command.js'
import {askSecret} from '../../lib/ux/prompts.js'

export interface VaultSetResult {
  key: string
  vault: string
  /** The vault file did not exist and was created. */
  created: boolean
}

export default class VaultSet extends VaultCommand<typeof VaultSet> {
  static override summary = 'Store one key in the vault, reading the value from stdin or a hidden prompt'
  static override description =
    `Stores KEY in the runtime vault. The value is read from stdin when stdin is not a ` +
    `terminal (all of it, less one trailing newline), else from a hidden prompt; never from ` +
    `the command line, where other users could see it. The vault is decrypted, merged, ` +
    `encrypted again and replaced atomically with mode 0600, under a lock so that concurrent ` +
    `writers keep each other's keys; a missing vault is created (the password is then asked ` +
    `twice at a prompt). A vault that cannot be decrypted is never overwritten.

` +
    VAULT_PASSWORD_HELP
  static override args = {KEY: vaultKeyArg}
  static override examples = [
    {
      command:
        'printf %s "$TOKEN" | <%= config.bin %> <%= command.id %> PROXMOX_TOKEN_SECRET ' +
        '--vault-password-file ~/.vault-pass',
      description: 'Seed a secret from automation before hyops init proxmox --non-interactive',
    },
    {
      command: '<%= config.bin %> <%= command.id %> PROXMOX_TOKEN_SECRET',
      description: 'Type the value at a hidden prompt',
    },
  ]

  public async run(): Promise<VaultSetResult> {
    const key = this.vaultKey()
    const piped = !process.stdin.isTTY
    const fromStdin = piped ? await readValueFromStdin(key) : undefined
    if (!piped && !this.interactive()) {
      throw new HyopsError(ExitCode.Usage, `no value for ${key}: stdin is a terminal and prompts are off`, {
        hint: `pipe the value: printf %s "$VALUE" | hyops vault set ${key} --non-interactive`,
      })
    }

    const vault = await this.openVault()
    const value = fromStdin ?? (await askSecret(`Value of ${key}`))
    const existed = vault.exists
    await vault.update({[key]: value})
    this.note(`Stored ${key} in ${vault.file}${existed ? '' : ' (new vault)'}.`)
    return {created: !existed, key, vault: vault.file}
  }
}

/** Whole stdin as UTF-8, less one trailing newline; an empty value is refused. */
async function readValueFromStdin(key: string): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  let value: string
  try {
    value = new TextDecoder('utf-8', {fatal: true}).decode(Buffer.concat(chunks))
  } catch {
    throw new HyopsError(ExitCode.Usage, `the value of ${key} on stdin is not UTF-8 text`, {
      hint: 'vault values are text; base64-encode binary data first',
    })
  }

  value = value.endsWith('\r\n') ? value.slice(0, -2) : value.endsWith('\n') ? value.slice(0, -1) : value
  if (value === '')
    throw new HyopsError(ExitCode.Usage, `no value for ${key} on stdin`, {
      hint: `pipe a non-empty value; remove a key with hyops vault unset ${key}`,
    })
  return value
}
