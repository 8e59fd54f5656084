import {BUILTIN_CHECKS} from './checks.js'
import type {ConfigKeySpec, ConfigTableSpec, ResolvedKeySpec, ValueCheck} from './types.js'

/** A target's config keys with their env names and lookups; made by `defineConfig`. */
export interface ConfigTable<K extends ConfigKeySpec = ConfigKeySpec> extends ConfigTableSpec<K> {
  readonly keys: ReadonlyArray<ResolvedKeySpec<K>>
  /** The spec of one key (undefined when unknown). */
  spec(key: string): ResolvedKeySpec<K> | undefined
  /** The key a name in the file stands for (key or alias, any case); undefined when unknown. */
  keyFor(name: string): K['key'] | undefined
  /** The check of a kind: the table's own, else a built-in one. */
  check(kind: string): ValueCheck | undefined
}

/** `HYOPS_<TARGET>_<KEY>`, with a leading `<TARGET>_` of the key dropped (`PROXMOX_IP` → `HYOPS_PROXMOX_IP`). */
export function envVarFor(target: string, key: string): string {
  const prefix = `${target.toUpperCase().replaceAll(/[^A-Z0-9]/g, '_')}_`
  return `HYOPS_${prefix}${key.startsWith(prefix) ? key.slice(prefix.length) : key}`
}

/**
 * A target's config from its key table: the table drives the resolver (`resolveConfig`), the
 * flags (`configFlags`), the environment names, the checks (by `kind`), the template
 * (`renderConfigTemplate`) and `describeConfig`. A kind with no check is a programming error, thrown here.
 */
export function defineConfig<const K extends ConfigKeySpec>(spec: ConfigTableSpec<K>): ConfigTable<K> {
  const keys = spec.keys.map((key) => ({...key, env: envVarFor(spec.target, key.key)}))
  const byKey = new Map(keys.map((key) => [key.key, key]))
  const byName = new Map(
    keys.flatMap((key) => [key.key, ...(key.aliases ?? [])].map((name) => [name.toLowerCase(), key] as const)),
  )
  const checks: Readonly<Record<string, ValueCheck>> = {...BUILTIN_CHECKS, ...spec.checks}
  for (const key of keys) {
    if (checks[key.kind] === undefined) throw new Error(`config key ${key.key}: no check for kind "${key.kind}"`)
  }

  return {
    ...spec,
    check: (kind) => checks[kind],
    keyFor: (name) => byName.get(name.trim().toLowerCase())?.key,
    keys,
    spec: (key) => byKey.get(key),
  }
}
