import {askSecret, configFlags, Flags, InitCommand, type InitContext} from 'hyops'

import {initHetzner, type HetznerInitResult} from '../../lib/init.js'
import {HETZNER_CONFIG} from '../../lib/keys.js'
import {HETZNER_SUMMARY, HETZNER_TARGET} from '../../lib/target.js'

export default class InitHetzner extends InitCommand<typeof InitHetzner> {
  static override target = HETZNER_TARGET
  static override summary = HETZNER_SUMMARY
  static override description =
    `Reads <root>/config/hetzner.conf (KEY = value lines; flags and HYOPS_HETZNER_* variables ` +
    `win over it; a template is written and the command exits 10 when it is missing), finds the ` +
    `API token (--token, the HCLOUD_TOKEN environment variable, the runtime vault, the config ` +
    `file, then a hidden prompt on a terminal), checks ` +
    `it with GET <HCLOUD_API>/v1/servers before writing anything, and writes ` +
    `<root>/credentials/hetzner.credentials.tfvars (mode 0600) and the readiness marker ` +
    `<root>/meta/hetzner.ready.json. A token given with --token or at the prompt is saved to ` +
    `the vault when a vault password source is available. An existing credentials file with ` +
    `other content is replaced only with --force.`
  static override examples = [
    {
      command: '<%= config.bin %> <%= command.id %> --non-interactive',
      description: 'Token from HCLOUD_TOKEN in the environment, no prompts (CI):',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --env staging --vault-password-file ~/.vault-pass',
      description: 'Token from the vault of the env "staging" (or a prompt, then saved there):',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --dry-run',
      description: 'Check the token and show what would be written:',
    },
  ]
  static override flags = {
    ...configFlags(HETZNER_CONFIG),
    token: Flags.string({
      description:
        'Hetzner Cloud API token (discouraged: visible in the process list and shell history; ' +
        'prefer HCLOUD_TOKEN or the vault)',
    }),
  }

  protected async initTarget(context: InitContext): Promise<HetznerInitResult> {
    return initHetzner(context, {
      environment: process.env,
      flags: this.flags,
      loadVault: () => this.loadVault(context),
      log: (line) => this.log(line),
      promptToken: context.interactive ? (message) => askSecret(message) : undefined,
      tokenFlag: this.flags.token,
      warn: (line) => this.note(`Warning: ${line}`),
      writeMarker: (marker) => this.writeMarker(context, marker),
    })
  }
}
