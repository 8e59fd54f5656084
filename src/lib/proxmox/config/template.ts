import {writeConfigTemplate} from '../../runtime/config-template.js'
import {CONFIG_KEYS, type ConfigKeySpec, PLACEHOLDER_HOST} from './keys.js'

/** The config template: a `[proxmox]` section with the annex's keys, their defaults and comments. */
export function renderProxmoxConfigTemplate(): string {
  const out = [
    '# hyops init proxmox: the Proxmox VE target (INI, one [proxmox] section).',
    '# Precedence: command-line flags > HYOPS_PROXMOX_* environment variables > this file > defaults.',
    '# No secrets here: the API token secret lives in the vault (PROXMOX_TOKEN_SECRET).',
    '',
    '[proxmox]',
  ]
  for (const spec of CONFIG_KEYS as readonly ConfigKeySpec[]) {
    if (spec.template === undefined) continue
    for (const comment of spec.template.comment) out.push(comment === '' ? '' : `# ${comment}`)
    out.push(`${spec.template.commented ? '# ' : ''}${spec.key} = ${spec.template.value}`, '')
  }

  return out.join('\n')
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
