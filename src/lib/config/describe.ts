import type {ConfigTable} from './table.js'
import type {ConfigKeySpec} from './types.js'

/**
 * Every key of a table with a `field`, resolved to its text form by key (`PROXMOX_IP: "10.0.0.5"`),
 * for evidence and summaries. Secret keys are left out; unset fields too.
 */
export function describeConfig<K extends ConfigKeySpec>(table: ConfigTable<K>, inputs: object): Record<string, string> {
  const out: Record<string, string> = {}
  for (const spec of table.keys) {
    if (spec.field === undefined || spec.secret) continue
    const value: unknown = Reflect.get(inputs, spec.field)
    if (value !== undefined) out[spec.key] = String(value)
  }

  return out
}
