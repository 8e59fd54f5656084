import {randomBytes} from 'node:crypto'

/** `<verb>-<target>-<UTC yyyymmddThhmmssZ>-<8 hex>` (verb `init` or `revoke`), unique per run and sortable by time. */
export function newRunId(target: string, now: Date = new Date(), verb = 'init'): string {
  const stamp = now
    .toISOString()
    .replaceAll(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${verb}-${target}-${stamp}-${randomBytes(4).toString('hex')}`
}
