import {writeConfigTemplate} from '../../runtime/config-template.js'
import {renderConfigTemplate} from '../../config/template.js'
import {PLACEHOLDER_HOST, PROXMOX_CONFIG} from './keys.js'

/** The config template: a `[proxmox]` section with every key, its default and comments. */
export function renderProxmoxConfigTemplate(): string {
  return renderConfigTemplate(PROXMOX_CONFIG)
}

/** Writes the Proxmox config template (see `writeConfigTemplate`). */
export async function writeProxmoxConfigTemplate(
  path: string,
  options: {force?: boolean} = {},
): Promise<'kept' | 'written'> {
  return writeConfigTemplate(path, renderProxmoxConfigTemplate(), options)
}

/**
 * What stdout says after the template was written: which file to edit and what to re-run.
 * `command` is the command line to re-run, e.g. `hyops init proxmox --env lab`.
 */
export function templateRemediation(path: string, command: string): string {
  return [
    `Wrote a config template: ${path}`,
    `Edit it: set PROXMOX_IP to your Proxmox host (it holds the placeholder ` +
      `${PLACEHOLDER_HOST}) and check USER_FQ and the other keys.`,
    `Then re-run: ${command}`,
    `Or skip the file and bootstrap from flags: ${command} --bootstrap --proxmox-ip <host>`,
  ].join('\n')
}
