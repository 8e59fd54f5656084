import {randomBytes} from 'node:crypto'

/** `init-<target>-<UTC yyyymmddThhmmssZ>-<8 hex>`, unique per run and sortable by time. */
export function newRunId(target: string, now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replaceAll(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `init-${target}-${stamp}-${randomBytes(4).toString('hex')}`
}
