import {Flags} from '@oclif/core'

import {InitCommand, type InitContext, type InitResult} from '../../lib/command/init-command.js'
import {proxmoxConfigFlags} from '../../lib/proxmox/config/keys.js'
import {readProxmoxConfig, resolveProxmoxInputs} from '../../lib/proxmox/config/resolve.js'
import {applySshConfig} from '../../lib/proxmox/config/ssh-route.js'
import {
  renderProxmoxConfigTemplate,
  templateRemediation,
  writeProxmoxConfigTemplate,
} from '../../lib/proxmox/config/template.js'
import {proxmoxInitIo} from '../../lib/proxmox/init/io.js'
import {ProxmoxInitRun} from '../../lib/proxmox/init/run.js'
import {stopWithConfigTemplate} from '../../lib/runtime/config-template.js'
import {proxmoxResult, proxmoxSummary} from '../../lib/proxmox/outputs/summary.js'
import {HOST_KEY_POLICIES, type HostKeyPolicy} from '../../lib/ssh/known-hosts.js'
import {Progress} from '../../lib/ux/progress.js'
import {renderSummary, summaryColor} from '../../lib/ux/summary.js'

const OFFERED = '@offered'

function enableSnippetsOption(value: string | undefined): string | true | undefined {
  return value === undefined ? undefined : value === OFFERED || value === '' ? true : value
}

export default class InitProxmox extends InitCommand<typeof InitProxmox> {
  static override target = 'proxmox'
  static override summary = 'Turn a Proxmox VE host into Terraform/Packer credentials'
  static override description =
    `Connects to the Proxmox host over SSH as root, makes sure the API user and token exist, ` +
    `discovers the node, storages and bridge, keeps the token secret in the ansible-vault ` +
    `file, proves the token against the Proxmox API, and writes ` +
    `<root>/credentials/proxmox.credentials.tfvars (mode 0600) and the readiness marker ` +
    `<root>/meta/proxmox.ready.json.

Inputs come from flags, then HYOPS_PROXMOX_* environment variables, then ` +
    `<root>/config/proxmox.conf ([proxmox] section), then defaults. A missing config file is ` +
    `written as a template (exit 10).

Exit codes: 0 ready, 2 usage, 10 config template written, 11 config invalid, 20 remote ` +
    `bootstrap failed, 21 secret/vault/token failure, 30 writing outputs failed, 130 cancelled.`

  static override examples = [
    {
      command: '<%= config.bin %> <%= command.id %>',
      description: 'First run at a terminal (prompts for what is missing)',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --env lab --vault-password-file ~/.vault-pass',
      description: 'Use the "lab" environment',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --bootstrap --proxmox-ip 10.0.0.5 --user-fq automation@pam',
      description: 'Without a config file',
    },
    {
      command: '<%= config.bin %> <%= command.id %> --non-interactive --json',
      description: 'In CI, with PROXMOX_TOKEN_SECRET seeded in the vault',
    },
    {command: '<%= config.bin %> <%= command.id %> --force', description: 'Rotate the token'},
  ]

  static override flags = {
    ...proxmoxConfigFlags,
    bootstrap: Flags.boolean({
      description:
        'Always run the remote bootstrap; with no config file, write the template and carry on ' +
        'from flags and environment',
      helpGroup: 'INIT',
    }),
    'host-key-policy': Flags.string({
      description:
        'How host keys are checked against <root>/state/known_hosts (keys in ~/.ssh/known_hosts are trusted) ' +
        '[default accept-new, or strict for StrictHostKeyChecking yes in ~/.ssh/config]',
      helpGroup: 'INIT',
      options: [...HOST_KEY_POLICIES],
    }),
    'enable-snippets': Flags.string({
      description:
        'When no storage has the snippets content type, add it to STORAGE (a file-based storage; bare ' +
        '--enable-snippets: the offered one, e.g. local) with pvesm set --content <current>,snippets',
      helpGroup: 'INIT',
      helpValue: 'STORAGE',
    }),
    remote: Flags.boolean({
      allowNo: true,
      description:
        'Run the remote bootstrap over SSH (--no-remote: take node, storages and bridge from the ' +
        'marker or fallbacks, still validating the token)',
      helpGroup: 'INIT',
    }),
  }

  // --enable-snippets takes an optional value, which oclif's flags cannot: a bare one becomes
  // --enable-snippets=<OFFERED> before parsing.
  public override async init(): Promise<void> {
    this.argv = this.argv.map((arg) => (arg === '--enable-snippets' ? `--enable-snippets=${OFFERED}` : arg))
    await super.init()
  }

  protected async initTarget(context: InitContext): Promise<InitResult> {
    const {flags} = this
    const config = await readProxmoxConfig(context.configFile)
    if (!config.exists) await this.writeTemplate(context, flags.bootstrap)
    for (const unknown of config.unknown)
      this.warn(
        `${context.configFile} line ${unknown.line}: unknown key ${unknown.name} in [proxmox] (ignored; a typo?)`,
      )
    const {inputs, route} = await applySshConfig(
      resolveProxmoxInputs({allowPlaceholderHost: false, config, configPath: context.configFile, flags}),
    )
    const hostKeyPolicy = (flags['host-key-policy'] as HostKeyPolicy | undefined) ?? route.hostKeyPolicy ?? 'accept-new'
    const progress = new Progress({json: this.jsonEnabled()})
    const outcome = await new ProxmoxInitRun(
      context,
      inputs,
      {
        bootstrap: flags.bootstrap,
        enableSnippets: enableSnippetsOption(flags['enable-snippets']),
        hostKeyPolicy,
        remote: flags.remote,
        ssh: route,
      },
      proxmoxInitIo({
        loadVault: () => this.loadVault(context),
        note: (line) => progress.note(line),
        step: (label, run) => progress.step(label, run),
        writeMarker: (marker) => this.writeMarker(context, marker),
      }),
    ).run()
    if (!this.jsonEnabled()) this.log(renderSummary(proxmoxSummary(outcome), {color: summaryColor()}).trimEnd())
    return proxmoxResult(outcome)
  }

  /** The contract's template rule: write it, tell what to edit, exit 10 (or carry on with --bootstrap). */
  private async writeTemplate(context: InitContext, carryOn: boolean): Promise<void> {
    if (carryOn) {
      if (context.flags['dry-run']) return
      await writeProxmoxConfigTemplate(context.configFile)
      context.evidence.fileWritten(context.configFile)
      this.note(
        `Wrote a config template at ${context.configFile}; carrying on from flags and environment (--bootstrap)`,
      )
      return
    }

    const rerun = [this.config.bin, 'init proxmox', ...this.argv].join(' ')
    await stopWithConfigTemplate({
      dryRun: context.flags['dry-run'],
      fileWritten: (path) => context.evidence.fileWritten(path),
      log: (text) => this.log(text),
      path: context.configFile,
      remediation: templateRemediation(context.configFile, rerun),
      template: renderProxmoxConfigTemplate(),
    })
  }
}
