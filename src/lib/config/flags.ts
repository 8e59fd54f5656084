import {Flags} from '@oclif/core'
import type {OptionFlag} from '@oclif/core/interfaces'

import type {ConfigTable} from './table.js'
import type {ConfigKeySpec} from './types.js'

/** The flag names of a key table (keys without a flag left out). */
export type ConfigFlagNames<K extends ConfigKeySpec> = K extends {readonly flag: infer F extends string} ? F : never

/** The flags `configFlags` makes: one string option per key with a flag. */
export type ConfigFlags<K extends ConfigKeySpec> = {[F in ConfigFlagNames<K>]: OptionFlag<string | undefined>}

/**
 * One string flag per key of the table (checking is the resolver's, by kind), for a command's
 * `static flags`. Its help names the config key, the env var and the default.
 */
export function configFlags<K extends ConfigKeySpec>(table: ConfigTable<K>): ConfigFlags<K> {
  const helpGroup = table.helpGroup ?? table.title.toUpperCase()
  const flags: Record<string, OptionFlag<string | undefined>> = {}
  for (const spec of table.keys) {
    if (spec.flag === undefined || spec.secret) continue
    flags[spec.flag] = Flags.string({
      description:
        `${spec.description} [config ${spec.key}, env ` +
        `${spec.env}${spec.default === undefined ? '' : `, default ${spec.default}`}]`,
      helpGroup,
    })
  }

  return flags as ConfigFlags<K>
}
