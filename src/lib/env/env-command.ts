import {Args, Command, Flags} from '@oclif/core'

import {VaultCommand} from '../command/vault-command.js'
import {shellQuote} from '../ssh/shell-quote.js'
import {resolveTargetEnv, type TargetEnv} from './resolve.js'

/** The TARGET argument of `hyops env` and `hyops exec`. */
export const envTargetArg = Args.string({description: 'Initialised target, e.g. proxmox', required: true})

/** `--format`: the variable set of one tool. */
export const envFormatFlag = Flags.string({
  char: 'f',
  description: "Variable set of one tool (proxmox: tfvars, bpg, telmate, packer, ansible; default: the target's)",
})

/** Where the values come from, for both commands' descriptions. */
export const ENV_SOURCES_HELP =
  'Values come from the credentials file and the vault of the selected runtime root (--root, --env), never ' +
  'from the host; the target must be ready (hyops init <target>), else exit 21. When the target verifies TLS ' +
  "against a CA the system does not trust, SSL_CERT_FILE names a bundle under <root>/state/ (the system's " +
  "roots and that CA); with TLS_SKIP the tool's insecure switch is set. The proxmox formats are listed in " +
  'docs/proxmox.md; provider plugins add their own through the hyops:env-formats hook.'

/**
 * The base of `hyops env` and `hyops exec`: the root and vault flags, the target argument and
 * `--format`, and the target's variables resolved through the `hyops:env-formats` hook.
 */
export abstract class EnvCommandBase<T extends typeof Command> extends VaultCommand<T> {
  /** The target's variables in the chosen format; `write: false` writes no CA bundle. */
  protected async targetEnv(options: {write: boolean}): Promise<TargetEnv> {
    const {TARGET: target} = this.args as {TARGET: string}
    const {format} = this.flags as {format?: string}
    return resolveTargetEnv({
      config: this.config,
      format,
      initCommand: this.initCommand(target),
      layout: this.layout(),
      openVault: () => this.openVault(),
      target,
      write: options.write,
    })
  }

  /** `hyops init <target>` with this invocation's root selection. */
  protected initCommand(target: string): string {
    const {root, env} = this.flags as {root?: string; env?: string}
    const where = root ? ` --root ${shellQuote(root)}` : env ? ` --env ${shellQuote(env)}` : ''
    return `${this.config.bin} init ${target}${where}`
  }
}
