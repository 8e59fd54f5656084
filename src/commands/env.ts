import {Flags} from '@oclif/core'

import {ExitCode, HyopsError} from '../lib/errors.js'
import {ENV_SOURCES_HELP, EnvCommandBase, envFormatFlag, envTargetArg} from '../lib/env/env-command.js'
import {ENV_OUTPUTS, renderEnv, renderNames, type EnvOutput} from '../lib/env/render.js'
import {VAULT_PASSWORD_HELP} from '../lib/command/vault-command.js'

export interface EnvResult {
  target: string
  format: string
  names: string[]
  /** Name → value; absent with --names. */
  variables?: Record<string, string>
  ca_bundle?: string
}

export default class Env extends EnvCommandBase<typeof Env> {
  static override summary = "Print a target's credentials as a tool's environment variables"
  static override description =
    `Prints the variables one tool reads (--format) for an initialised target, as POSIX shell ` +
    `assignments (export NAME='value', for eval), dotenv lines or a JSON object (--output). ` +
    `The values hold secrets: with stdout a terminal it refuses (exit 2) unless --reveal is given; ` +
    `--names prints the names only and is always allowed. To run a tool without the secret in ` +
    `a shell at all, use hyops exec.

` +
    ENV_SOURCES_HELP +
    '\n\n' +
    VAULT_PASSWORD_HELP
  static override args = {TARGET: envTargetArg}
  static override flags = {
    format: envFormatFlag,
    output: Flags.string({
      char: 'o',
      default: 'shell',
      description: "Output style: shell (export NAME='value'), dotenv (NAME='value') or json",
      options: [...ENV_OUTPUTS],
    }),
    reveal: Flags.boolean({description: 'Print the values even when stdout is a terminal'}),
    names: Flags.boolean({description: 'Print the variable names only (no values)'}),
  }
  static override examples = [
    'eval "$(<%= config.bin %> <%= command.id %> proxmox --format bpg)"',
    '<%= config.bin %> <%= command.id %> proxmox --format telmate --output dotenv > .env  # a secret in a file',
    '<%= config.bin %> <%= command.id %> proxmox --format packer --names',
    '<%= config.bin %> <%= command.id %> hetzner --format hcloud --env staging --reveal',
  ]

  public async run(): Promise<EnvResult> {
    const {names, output, reveal} = this.flags
    if (!names && !reveal && process.stdout.isTTY) {
      throw new HyopsError(ExitCode.Usage, 'refusing to print secrets to a terminal', {
        hint:
          `use eval "$(${this.config.bin} env ...)", ${this.config.bin} exec ... -- <command>, ` +
          '--names for the names only, or --reveal to show them here',
      })
    }

    const env = await this.targetEnv({write: !names})
    const result: EnvResult = {
      ca_bundle: env.caBundle,
      format: env.format,
      names: env.variables.map((v) => v.name),
      target: env.target,
    }
    if (!names) result.variables = Object.fromEntries(env.variables.map((v) => [v.name, v.value]))
    if (!this.jsonEnabled()) {
      const style = output as EnvOutput
      process.stdout.write(names ? renderNames(env.variables, style) : renderEnv(env.variables, style))
    }

    return result
  }
}
