/** Where a resolved value came from (precedence: flag > env > config > default). */
export type ValueSource = 'flag' | 'env' | 'config' | 'default'

/** How the config template writes a key: `value` set (or commented out when `commented`), after `comment` lines. */
export interface ConfigKeyTemplate {
  readonly value: string
  /** Lines written as `# ...` above the key; an empty string is an empty line. */
  readonly comment: readonly string[]
  readonly commented?: true
}

/** One key of a target's config: its names in the file, the environment and on the command line. */
export interface ConfigKeySpec {
  /** The UPPERCASE name, written by the template. */
  readonly key: string
  /** The field of the target's inputs it fills (for `describeConfig`). */
  readonly field?: string
  /** Older names accepted when reading (any case). */
  readonly aliases?: readonly string[]
  /** The command-line flag, without `--`; absent for a key that has no flag (a secret). */
  readonly flag?: string
  /** How the value is checked and converted: the name of a check (`ConfigTableSpec.checks` or a built-in). */
  readonly kind: string
  /** The value when no flag, env var or config sets it. */
  readonly default?: string
  /** Missing is exit 11 naming the file, flag and env var that set it. */
  readonly required?: true
  /** Read from the config file only: no flag, no env var, not in the template or `describeConfig`. */
  readonly secret?: true
  /** One line for `--help`. */
  readonly description: string
  readonly template?: ConfigKeyTemplate
}

/** A value found at one level, before it is checked. */
export interface Candidate {
  value: string
  source: ValueSource
  /** For messages: `--api-port`, `HYOPS_PROXMOX_API_PORT`, `/r/config/proxmox.conf line 3 (port)`, `default`. */
  where: string
  /** Directory relative paths resolve against. */
  baseDir?: string
}

/**
 * Checks and converts one value: returns it converted, or throws the exit-11 error of
 * `invalidValue(key, candidate, what, hint)`.
 */
export type ValueCheck<T = unknown> = (candidate: Candidate, key: string) => T

/** What a target declares: `defineConfig` turns it into a `ConfigTable`. */
export interface ConfigTableSpec<K extends ConfigKeySpec = ConfigKeySpec> {
  /** The target name: `HYOPS_<TARGET>_<KEY>` env vars, `<root>/config/<target>.conf`. */
  readonly target: string
  /** How messages name the target: `Proxmox`. */
  readonly title: string
  /** The INI section holding the keys (`proxmox` for `[proxmox]`); absent: plain `KEY = value` lines. */
  readonly section?: string
  readonly keys: readonly K[]
  /** Checks by `kind`, besides the built-in ones (`BUILTIN_CHECKS`). */
  readonly checks?: Readonly<Record<string, ValueCheck>>
  /** The template's first lines, written as `# ...` comments. */
  readonly header: readonly string[]
  /** The help group of the generated flags (default: the title in capitals). */
  readonly helpGroup?: string
}

/** A key spec with its environment variable filled in. */
export type ResolvedKeySpec<K extends ConfigKeySpec = ConfigKeySpec> = K & {readonly env: string}

/** A config file, read and checked for form (not for values). */
export interface ConfigFile<Key extends string = string> {
  path: string
  exists: boolean
  /** Non-empty values by key; an empty value (`KEY =`) counts as unset. */
  values: Partial<Record<Key, string>>
  /** Where each key of `values` was written. */
  lines: Partial<Record<Key, ConfigKeyLocation>>
  /** Keys the target does not know (typos?): worth a warning, not an error. */
  unknown: ConfigKeyLocation[]
}

/** Where a key was found in the config file. */
export interface ConfigKeyLocation {
  /** 1-based line number. */
  line: number
  /** The name as written (`PROXMOX_IP`, or an alias such as `host`). */
  name: string
}

/** What a resolver reads: flags, environment and the config file. */
export interface ConfigSources<Key extends string = string> {
  /** Parsed flags; only the config keys' flag names are read (strings, as oclif gives them). */
  flags: Readonly<Record<string, unknown>>
  /** Defaults to `process.env`. */
  environment?: NodeJS.ProcessEnv
  /** The config file as read; undefined or `exists: false` when there is none. */
  config?: ConfigFile<Key>
  /** The config path, for messages that tell where to set a key. */
  configPath: string
  /** Where relative paths of the config file resolve (default: the config file's directory). */
  relativeTo?: string
}
