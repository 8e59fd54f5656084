import {readdir} from 'node:fs/promises'

import {RuntimeLayout} from '../runtime/layout.js'
import {writeFileSafely} from '../runtime/safe-write.js'
import {readUserText, SMALL_FILE_MAX_BYTES, unreadableReason} from '../runtime/user-file.js'

/** `ready` only when every promised output was written and vault persistence completed. */
export type ReadinessStatus = 'ready' | 'not_ready' | 'failed'

/** `<root>/meta/<target>.ready.json`. Targets add their own fields beside these. */
export interface ReadinessMarker {
  target: string
  status: ReadinessStatus
  run_id: string
  generated_at: string
  paths: Record<string, string>
  /** Why the status is not `ready`. */
  reason?: string
  [field: string]: unknown
}

/** One marker file as `init status` sees it: parsed, or the reason it could not be. */
export interface MarkerReading {
  target: string
  path: string
  marker?: ReadinessMarker
  error?: string
}

/** Writes a marker atomically with mode 0600. */
export async function writeMarker(layout: RuntimeLayout, marker: ReadinessMarker): Promise<string> {
  const path = layout.markerFile(marker.target)
  await writeFileSafely(path, JSON.stringify(marker, null, 2) + '\n', {mode: 0o600})
  return path
}

/** Reads one target's marker; undefined when there is none or it does not parse. */
export async function readMarker(layout: RuntimeLayout, target: string): Promise<ReadinessMarker | undefined> {
  const reading = await readMarkerFile(target, layout.markerFile(target))
  return reading.marker
}

/** Every `*.ready.json` under `<root>/meta`, sorted by target; unreadable ones say why. */
export async function readMarkers(layout: RuntimeLayout): Promise<MarkerReading[]> {
  const names = await readdir(layout.dir('meta')).catch(() => [] as string[])
  const targets = names
    .filter((name) => name.endsWith('.ready.json'))
    .map((name) => name.slice(0, -'.ready.json'.length))
    .sort()
  return Promise.all(targets.map((target) => readMarkerFile(target, layout.markerFile(target))))
}

async function readMarkerFile(target: string, path: string): Promise<MarkerReading> {
  let text: string
  try {
    text = await readUserText(path, {maxBytes: SMALL_FILE_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return {target, path, error: code === 'ENOENT' ? 'missing' : `unreadable (${unreadableReason(error)})`}
  }

  try {
    const marker = JSON.parse(text) as ReadinessMarker
    if (typeof marker !== 'object' || marker === null || typeof marker.status !== 'string') {
      return {target, path, error: 'not a readiness marker (no status)'}
    }

    return {target, path, marker}
  } catch {
    return {target, path, error: 'unreadable (not valid JSON)'}
  }
}
