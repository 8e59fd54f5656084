import {type ConfigFile, parseConfigText, readConfigFile, renderConfigTemplate, resolveConfig} from 'hyops'

import {HETZNER_CONFIG} from './keys.js'
import {TOKEN_KEY} from './target.js'

export {DEFAULT_HCLOUD_API} from './keys.js'

/**
 * `<root>/config/hetzner.conf` with flags and `HYOPS_HETZNER_*` applied, checked: `apiUrl` (HCLOUD_API, https,
 * no trailing slash), `tfvarsOut` and `caFile` (absolute; relative ones from the runtime root), `token` (a
 * legacy HCLOUD_TOKEN in the file, warned about) and `unknownKeys` (keys the file sets that this target does not know).
 */
export interface HetznerConfig {
  file: string
  apiUrl: string
  tfvarsOut?: string
  caFile?: string
  token?: string
  unknownKeys: string[]
}

type Overrides = {flags?: Record<string, unknown>; environment?: NodeJS.ProcessEnv}

function resolved(config: ConfigFile, root: string, {environment = {}, flags = {}}: Overrides): HetznerConfig {
  const input = {config, configPath: config.path, environment, flags, relativeTo: root}
  const values = resolveConfig(HETZNER_CONFIG, input).values as Partial<Record<string, string>>
  const {HCLOUD_API: apiUrl, HCLOUD_CA_FILE: caFile, HCLOUD_TFVARS_OUT: tfvarsOut, [TOKEN_KEY]: token} = values
  return {
    apiUrl: apiUrl!,
    caFile,
    file: config.path,
    tfvarsOut,
    token,
    unknownKeys: config.unknown.map((at) => at.name),
  }
}

/** Parses config text; `root` anchors relative paths. Bad form or values are exit 11 naming file, line and key. */
export function parseHetznerConfig(text: string, file: string, root: string, overrides: Overrides = {}): HetznerConfig {
  return resolved(parseConfigText(HETZNER_CONFIG, text, file), root, overrides)
}

/** The template written when the config is missing: safe defaults, no secret. */
export function hetznerConfigTemplate(): string {
  return renderConfigTemplate(HETZNER_CONFIG)
}

/** Reads and resolves the config; undefined when the file does not exist. */
export async function loadHetznerConfig(
  file: string,
  root: string,
  overrides: Overrides = {},
): Promise<HetznerConfig | undefined> {
  const config = await readConfigFile(HETZNER_CONFIG, file)
  return config.exists ? resolved(config, root, overrides) : undefined
}
