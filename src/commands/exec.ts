import {ExitCode, HyopsError} from '../lib/errors.js'
import {endLikeChild, runChild} from '../lib/env/child.js'
import {ENV_SOURCES_HELP, EnvCommandBase, envFormatFlag, envTargetArg} from '../lib/env/env-command.js'
import {VAULT_PASSWORD_HELP} from '../lib/command/vault-command.js'

export default class Exec extends EnvCommandBase<typeof Exec> {
  static override summary = "Run a command with a target's credentials in its environment"
  static override description =
    `Runs COMMAND with the variables of --format added to its environment only: nothing is ` +
    `written to disk (but the CA bundle, which holds no secret), no secret is put in an ` +
    `argument. stdin, stdout and stderr are the command's. hyops exits with the command's exit ` +
    `code; SIGTERM, SIGHUP and SIGQUIT are passed on (SIGINT too, unless stdin is a terminal, ` +
    `where Ctrl-C reaches the command itself), and a command killed by a signal ends hyops by ` +
    `the same signal. A command that is not found is exit 127. Put -- before the command.

` +
    ENV_SOURCES_HELP +
    '\n\n' +
    VAULT_PASSWORD_HELP
  static override args = {TARGET: envTargetArg}
  static override flags = {format: envFormatFlag}
  static override strict = false
  static override enableJsonFlag = false
  static override usage = '<%= command.id %> TARGET [--format F] -- COMMAND [ARG...]'
  static override examples = [
    '<%= config.bin %> <%= command.id %> proxmox --format bpg -- terraform plan',
    '<%= config.bin %> <%= command.id %> proxmox --format packer -- packer build .',
    '<%= config.bin %> <%= command.id %> proxmox --format ansible --env staging -- ansible-playbook site.yml',
  ]

  public async run(): Promise<void> {
    const command = await this.commandAfterDashes()
    const env = await this.targetEnv({write: true})
    const environment: NodeJS.ProcessEnv = {...process.env}
    for (const {name, value} of env.variables) environment[name] = value
    endLikeChild(await runChild(command, environment))
  }

  /** Everything after the first `--`, as given (oclif's parsed argv is reordered). */
  private async commandAfterDashes(): Promise<string[]> {
    const dashes = this.argv.indexOf('--')
    const command = dashes === -1 ? [] : this.argv.slice(dashes + 1)
    if (command.length === 0) {
      const given = dashes === -1 && (await this.parse(Exec)).argv.length > 1
      throw new HyopsError(ExitCode.Usage, given ? 'the command must follow --' : 'no command to run', {
        hint: `put it after --: ${this.config.bin} exec ${String(this.args.TARGET)} -- terraform plan`,
      })
    }

    return command
  }
}
