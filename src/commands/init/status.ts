import {Flags} from '@oclif/core'

import {VaultCommand} from '../../lib/command/vault-command.js'
import {describeError, ExitCode, HyopsError} from '../../lib/errors.js'
import {collectCheckTargets} from '../../lib/hooks/check-targets.js'
import {collectInitTargets} from '../../lib/hooks/init-targets.js'
import {describeExpiry, expiryFields, markerExpire} from '../../lib/readiness/token-expiry.js'
import {readMarkers, type MarkerReading} from '../../lib/readiness/marker.js'
import {outputWidth, wrapText} from '../../lib/ux/wrap.js'
import {processClock} from '../../lib/time/clock.js'

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
    /** The token's expiry the marker records (Unix seconds, 0 = never) and as an ISO time. */
    token_expire?: number
    token_expire_iso?: string | null
    /** With --check: whether the credentials work live, and what was proved or why not. */
    check?: LiveCheck
  }>
}

/** One target's live check. */
export interface LiveCheck {
  ok: boolean
  /** What was proved, or why it failed (with the fix). */
  message: string
  /** The exit code the failure maps to. */
  exit_code?: number
  /** What works now but needs the operator soon (a token inside its renewal window). */
  warnings?: string[]
}

export default class InitStatus extends VaultCommand<typeof InitStatus> {
  static override summary = 'Show the readiness markers of a runtime root'
  static override description =
    `Reads <root>/meta/<target>.ready.json for every target initialised in the selected ` +
    `runtime root and prints one line each. A marker that cannot be read is reported as such; ` +
    `the others are still shown. Installed targets (the core's and those of provider plugins) ` +
    `without a marker are listed as not initialised. Exits 1 when the root has no markers.\n\n` +
    `With --check, every initialised target's credentials are also proved live against its API, without ` +
    `changing anything (proxmox: the token and every privilege of the profile its last run verified; ` +
    `plugins answer the hyops:check-target hook), one line each. The exit code is then 0 only when every ` +
    `target checks out, else that of the first failure (21 for credentials that do not work, e.g. a missing ` +
    `privilege). Run it before terraform plan.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --env staging --json',
    '<%= config.bin %> <%= command.id %> --check --non-interactive',
  ]

  static override flags = {
    check: Flags.boolean({description: "Prove each target's credentials live against its API (changes nothing)"}),
  }

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
    const checks = this.flags.check ? await this.liveChecks(readings) : undefined
    // Each line wrapped to the terminal (80 columns when piped), its continuation indented.
    const width = outputWidth()
    const print = (text: string, first = '', indent = '  ') => this.log(wrapText(text, width, first, indent).join('\n'))
    const now = processClock().now()
    for (const [i, reading] of readings.entries()) {
      print(describe(reading, now))
      for (const w of warningsOf(reading)) print(`${w.message} (fix: ${w.fix})`, '  warning: ', '    ')
      const check = checks?.[i]
      if (check) print(`${check.ok ? 'ok' : `FAILED (exit ${check.exit_code})`}: ${check.message}`, '  check: ', '    ')
      for (const warning of check?.warnings ?? []) print(warning, '  warning: ', '    ')
    }

    for (const info of missing) print(`${info.target}: not initialised (${this.config.bin} init ${info.target})`)
    const failed = checks?.find((c) => !c.ok)
    if (failed) process.exitCode = failed.exit_code
    const entries = [
      ...readings.map((r, i) => ({...toEntry(r), ...(checks ? {check: checks[i]} : {})})),
      ...missing.map((info) => ({
        path: layout.markerFile(info.target),
        status: 'not_initialised',
        target: info.target,
      })),
    ]
    return {root: layout.root, targets: entries}
  }

  /** Each reading's live check, all at once: only ready targets whose plugin answers hyops:check-target. */
  private async liveChecks(readings: MarkerReading[]): Promise<LiveCheck[]> {
    const {targets: checkers} = await collectCheckTargets(this.config)
    const layout = this.layout()
    return Promise.all(
      readings.map(async (reading): Promise<LiveCheck> => {
        const fail = (message: string, exitCode: number = ExitCode.Secrets) => ({
          exit_code: exitCode,
          message,
          ok: false,
        })
        if (!reading.marker) return fail(`the marker cannot be read: ${reading.error}`)
        if (reading.marker.status !== 'ready')
          return fail(
            `not ready${reading.marker.reason ? ` (${reading.marker.reason})` : ''}: run hyops init ${reading.target}`,
          )
        const checker = checkers.get(reading.target)
        if (!checker)
          return fail(
            `no installed plugin checks ${reading.target} live (hyops:check-target)`,
            ExitCode.DependencyMissing,
          )
        try {
          const answer = await checker.check({
            environment: process.env,
            layout,
            marker: reading.marker,
            clock: processClock(),
            openVault: () => this.openVault(),
          })
          return {message: answer.detail, ok: true, ...(answer.warnings?.length ? {warnings: answer.warnings} : {})}
        } catch (error) {
          const {exitCode, hint, message} = describeError(error)
          return fail(hint ? `${message} (${hint})` : message, exitCode)
        }
      }),
    )
  }
}

function describe(reading: MarkerReading, now: Date): string {
  if (!reading.marker) return `${reading.target}: ${reading.error} (${reading.path})`
  const {status, run_id: runId, generated_at: generatedAt, reason} = reading.marker
  const expire = status === 'revoked' ? undefined : markerExpire(reading.marker)
  return (
    `${reading.target}: ${status} (run_id=${runId ?? '-'}, ` +
    `generated_at=${generatedAt ?? '-'})${reason ? ` ${reason}` : ''}` +
    (expire === undefined ? '' : `; token ${describeExpiry(expire, now)}`)
  )
}

function toEntry(reading: MarkerReading): InitStatusResult['targets'][number] {
  if (!reading.marker) return {path: reading.path, reason: reading.error, status: 'unreadable', target: reading.target}
  const {status, run_id: runId, generated_at: generatedAt, reason} = reading.marker
  const warnings = warningsOf(reading)
  const expire = markerExpire(reading.marker)
  return {
    ...(expire === undefined ? {} : {token_expire: expire, token_expire_iso: expiryFields(expire).expire_iso}),
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
