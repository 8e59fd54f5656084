import {HyopsCommand} from '../../lib/command/hyops-command.js'
import {ExitCode, HyopsError} from '../../lib/errors.js'
import {collectInitTargets} from '../../lib/hooks/init-targets.js'
import {readMarkers, type MarkerReading} from '../../lib/readiness/marker.js'

export interface InitStatusResult {
  root: string
  targets: Array<{
    target: string
    status: string
    run_id?: string
    generated_at?: string
    reason?: string
    path: string
    /** The marker's warnings (what will break later though the target is ready). */
    warnings?: Array<{code: string; message: string; fix: string}>
  }>
}

export default class InitStatus extends HyopsCommand<typeof InitStatus> {
  static override summary = 'Show the readiness markers of a runtime root'
  static override description =
    `Reads <root>/meta/<target>.ready.json for every target initialised in the selected ` +
    `runtime root and prints one line each. A marker that cannot be read is reported as such; ` +
    `the others are still shown. Installed targets (the core's and those of provider plugins) ` +
    `without a marker are listed as not initialised. Exits 1 when the root has no markers.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --env staging --json',
  ]

  public async run(): Promise<InitStatusResult> {
    const layout = this.layout()
    const readings = await readMarkers(layout)
    const {targets: installed} = await collectInitTargets(this.config)
    if (readings.length === 0) {
      const names = installed.map((t) => t.target).join('|') || '<target>'
      throw new HyopsError(ExitCode.Failure, `no readiness markers in ${layout.dir('meta')}`, {
        hint: `run ${this.config.bin} init ${names} first`,
      })
    }

    const missing = installed.filter((info) => !readings.some((r) => r.target === info.target))
    for (const reading of readings) {
      this.log(describe(reading))
      for (const w of warningsOf(reading)) this.log(`  warning: ${w.message} (fix: ${w.fix})`)
    }

    for (const info of missing) this.log(`${info.target}: not initialised (${this.config.bin} init ${info.target})`)
    const entries = [
      ...readings.map((r) => toEntry(r)),
      ...missing.map((info) => ({
        path: layout.markerFile(info.target),
        status: 'not_initialised',
        target: info.target,
      })),
    ]
    return {root: layout.root, targets: entries}
  }
}

function describe(reading: MarkerReading): string {
  if (!reading.marker) return `${reading.target}: ${reading.error} (${reading.path})`
  const {status, run_id: runId, generated_at: generatedAt, reason} = reading.marker
  return (
    `${reading.target}: ${status} (run_id=${runId ?? '-'}, ` +
    `generated_at=${generatedAt ?? '-'})${reason ? ` ${reason}` : ''}`
  )
}

function toEntry(reading: MarkerReading): InitStatusResult['targets'][number] {
  if (!reading.marker) return {path: reading.path, reason: reading.error, status: 'unreadable', target: reading.target}
  const {status, run_id: runId, generated_at: generatedAt, reason} = reading.marker
  const warnings = warningsOf(reading)
  return {
    generated_at: generatedAt,
    path: reading.path,
    reason,
    run_id: runId,
    status,
    target: reading.target,
    ...(warnings.length > 0 ? {warnings} : {}),
  }
}

function warningsOf(reading: MarkerReading): Array<{code: string; message: string; fix: string}> {
  const list = reading.marker?.warnings
  if (!Array.isArray(list)) return []
  return list.filter(
    (w): w is {code: string; message: string; fix: string} =>
      typeof w?.code === 'string' && typeof w?.message === 'string' && typeof w?.fix === 'string',
  )
}
