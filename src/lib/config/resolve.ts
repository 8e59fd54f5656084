import {dirname} from 'node:path'

import {missingKey, refuseControlCharacters} from './errors.js'
import type {ConfigTable} from './table.js'
import type {Candidate, ConfigKeySpec, ConfigSources, ValueSource} from './types.js'

/** The levels a value is looked for at, in precedence order (defaults come last). */
export const CONFIG_LEVELS = ['flag', 'env', 'config'] as const
export type ConfigLevel = (typeof CONFIG_LEVELS)[number]

const RANK: readonly ValueSource[] = ['flag', 'env', 'config', 'default']

/** True when source `a` wins over source `b` (flag > env > config > default). */
export function outranks(a: ValueSource, b: ValueSource): boolean {
  return RANK.indexOf(a) <= RANK.indexOf(b)
}

/**
 * Looks up a table's keys in flags > `HYOPS_<TARGET>_*` env > config > defaults, each value with
 * where it came from, and checks each by its `kind`. A target with rules across keys (one key
 * deriving another) uses `candidateAt`/`pick`/`required` and `take` in its own order; one without
 * calls `resolveAll`.
 */
export class ConfigResolver<K extends ConfigKeySpec = ConfigKeySpec> {
  /** Where each taken key's value came from, by key. */
  readonly sources: Partial<Record<K['key'], ValueSource>> = {}
  private readonly environment: NodeJS.ProcessEnv

  constructor(
    readonly table: ConfigTable<K>,
    readonly input: ConfigSources<K['key']>,
  ) {
    this.environment = input.environment ?? process.env
  }

  /** The value of `key` at one level (a control character in it is exit 11); undefined when unset there. */
  candidateAt(key: K['key'], level: ConfigLevel): Candidate | undefined {
    const spec = this.specOf(key)
    const candidate = this.rawCandidateAt(spec, level)
    return candidate && refuseControlCharacters(spec.key, candidate)
  }

  /** The winning value of `key`, or its default; undefined when set nowhere. */
  pick(key: K['key']): Candidate | undefined {
    for (const level of CONFIG_LEVELS) {
      const candidate = this.candidateAt(key, level)
      if (candidate) return candidate
    }

    return this.defaultOf(key)
  }

  /** The default of `key` as a candidate. */
  defaultOf(key: K['key']): Candidate | undefined {
    const value = this.specOf(key).default
    return value === undefined ? undefined : {source: 'default', value, where: 'default'}
  }

  /** `candidate`, or exit 11 naming the file, flag and env var that set `key`. */
  required(key: K['key'], candidate: Candidate | undefined): Candidate {
    if (candidate) return candidate
    const spec = this.specOf(key)
    throw missingKey(key, {configPath: this.input.configPath, env: spec.secret ? undefined : spec.env, flag: spec.flag})
  }

  /** Checks a candidate of `key` by its kind and returns the converted value. */
  check<T = unknown>(key: K['key'], candidate: Candidate): T {
    return this.table.check(this.specOf(key).kind)!(candidate, key) as T
  }

  /** Picks `key` (required ones must be set), notes its source and returns it checked; undefined when unset. */
  take<T = unknown>(key: K['key']): T | undefined {
    const spec = this.specOf(key)
    const picked = this.pick(key)
    const candidate = spec.required ? this.required(key, picked) : picked
    if (candidate === undefined) return undefined
    this.sources[key as K['key']] = candidate.source
    return this.check<T>(key, candidate)
  }

  /** Every key of the table taken in table order: values by key (unset ones left out). */
  resolveAll(): Partial<Record<K['key'], unknown>> {
    const values: Partial<Record<K['key'], unknown>> = {}
    for (const spec of this.table.keys) {
      const value = this.take(spec.key)
      if (value !== undefined) values[spec.key as K['key']] = value
    }

    return values
  }

  private specOf(key: string) {
    const spec = this.table.spec(key)
    if (spec === undefined) throw new Error(`${key} is not a key of the ${this.table.target} config`)
    return spec
  }

  private rawCandidateAt(spec: K & {env: string}, level: ConfigLevel): Candidate | undefined {
    if (level === 'flag') {
      const value = spec.flag ? this.input.flags[spec.flag] : undefined
      return typeof value === 'string' && value.trim() !== ''
        ? {source: 'flag', value: value.trim(), where: `--${spec.flag}`}
        : undefined
    }

    if (level === 'env') {
      const value = spec.secret ? undefined : this.environment[spec.env]
      return value !== undefined && value.trim() !== ''
        ? {source: 'env', value: value.trim(), where: spec.env}
        : undefined
    }

    const {config} = this.input
    const key = spec.key as K['key']
    const value = config?.exists ? config.values[key] : undefined
    if (value === undefined || config === undefined) return undefined
    const at = config.lines[key]
    const where = at ? `${config.path} line ${at.line}${at.name === spec.key ? '' : ` (${at.name})`}` : config.path
    return {baseDir: this.input.relativeTo ?? dirname(config.path), source: 'config', value: value.trim(), where}
  }
}

/** Resolves every key of a table (see `ConfigResolver`): values by key, and where each came from. */
export function resolveConfig<K extends ConfigKeySpec>(
  table: ConfigTable<K>,
  input: ConfigSources<K['key']>,
): {values: Partial<Record<K['key'], unknown>>; sources: Partial<Record<K['key'], ValueSource>>} {
  const resolver = new ConfigResolver(table, input)
  const values = resolver.resolveAll()
  return {sources: resolver.sources, values}
}
