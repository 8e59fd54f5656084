import type {ConfigTable} from './table.js'
import type {ConfigKeySpec} from './types.js'

/**
 * A table's config template: its header as comments, the `[section]` line (when it has one),
 * then every key with a `template`: its comment lines and `KEY = value` (commented out when the
 * template says so). Secrets are never written.
 */
export function renderConfigTemplate<K extends ConfigKeySpec>(table: ConfigTable<K>): string {
  const out = table.header.map((line) => (line === '' ? '' : `# ${line}`))
  out.push('')
  if (table.section !== undefined) out.push(`[${table.section}]`)
  for (const spec of table.keys) {
    if (spec.template === undefined || spec.secret) continue
    for (const comment of spec.template.comment) out.push(comment === '' ? '' : `# ${comment}`)
    out.push(`${spec.template.commented ? '# ' : ''}${spec.key} = ${spec.template.value}`.trimEnd(), '')
  }

  return out.join('\n')
}
