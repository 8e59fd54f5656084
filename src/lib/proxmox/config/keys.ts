import {configFlags} from '../../config/flags.js'
import {defineConfig, envVarFor} from '../../config/table.js'
import {PROXMOX_CHECKS} from './checks.js'
import {KEYS} from './key-table.js'

export {PLACEHOLDER_HOST, PLACEHOLDER_HOSTS} from './key-table.js'
export type {ProxmoxKeySpec} from './key-table.js'

/** The `[proxmox]` section's key table: it drives the flags, env names, checks, template and `describe`. */
export const PROXMOX_CONFIG = defineConfig({
  header: [
    'hyops init proxmox: the Proxmox VE target (INI, one [proxmox] section).',
    'Precedence: command-line flags > HYOPS_PROXMOX_* environment variables > this file > defaults.',
    'No secrets here: the API token secret lives in the vault (PROXMOX_TOKEN_SECRET).',
  ],
  checks: PROXMOX_CHECKS,
  helpGroup: 'PROXMOX',
  keys: KEYS,
  section: 'proxmox',
  target: 'proxmox',
  title: 'Proxmox',
})

/** Every key with its env var, in the template's order. */
export const CONFIG_KEYS = PROXMOX_CONFIG.keys

/** A key of `[proxmox]` by its UPPERCASE name. */
export type ConfigKey = (typeof KEYS)[number]['key']
/** A command-line flag name of a config key (without `--`). */
export type ConfigFlagName = (typeof KEYS)[number]['flag']

/** The spec of one key. */
export function configKeySpec(key: ConfigKey): (typeof CONFIG_KEYS)[number] {
  return PROXMOX_CONFIG.spec(key)!
}

/** The key a name in the file stands for (its name or a legacy alias, any case); undefined when unknown. */
export function configKeyForName(name: string): ConfigKey | undefined {
  return PROXMOX_CONFIG.keyFor(name)
}

/** The environment variable of a key: `HYOPS_PROXMOX_<KEY>` with a leading `PROXMOX_` dropped. */
export function envVarForKey(key: string): string {
  return envVarFor('proxmox', key)
}

/** The flags of every config key, all strings (checking is the resolver's), for the command's `static flags`. */
export const proxmoxConfigFlags = configFlags(PROXMOX_CONFIG)
