import {appendFile} from 'node:fs/promises'
import {join} from 'node:path'

import {ExitCode, describeError} from '../errors.js'
import {makePrivateDir} from './layout.js'
import {Redactor} from './redact.js'
import {writeFileSafely} from './safe-write.js'

/** One external step of a run, as the contract asks evidence to record it. */
export interface EvidenceStep {
  step: string
  result: 'ok' | 'failed' | 'skipped'
  exit_code: number
  duration_ms: number
  started_at: string
  detail?: string
}

export interface EvidenceStart {
  target: string
  runId: string
  dir: string
  redactor?: Redactor
}

/**
 * The redacted record of one run under `<root>/logs/init/<target>/<run_id>/` (or `--out-dir`):
 * `meta.json` (run id, inputs, paths, outcome), `steps.jsonl` (one line a step) and
 * `files.json` (every file written). Everything passes through the redactor before it
 * touches the disk.
 */
export class Evidence {
  readonly dir: string
  readonly runId: string
  readonly target: string
  readonly redactor: Redactor
  readonly startedAt = new Date()
  private readonly meta: Record<string, unknown> = {}
  private readonly files = new Set<string>()
  private readonly steps: EvidenceStep[] = []

  private constructor(start: EvidenceStart) {
    this.dir = start.dir
    this.runId = start.runId
    this.target = start.target
    this.redactor = start.redactor ?? new Redactor()
  }

  /** Creates the run directory (0700) and writes the first `meta.json`. */
  static async start(start: EvidenceStart): Promise<Evidence> {
    const evidence = new Evidence(start)
    await makePrivateDir(evidence.dir)
    await evidence.writeMeta({status: 'running'})
    return evidence
  }

  /** Adds non-secret facts to `meta.json` (merged at the top level). */
  async record(facts: Record<string, unknown>): Promise<void> {
    Object.assign(this.meta, facts)
    await this.writeMeta()
  }

  /** Notes a file this run wrote. */
  fileWritten(path: string): void {
    this.files.add(path)
  }

  get filesWritten(): string[] {
    return [...this.files]
  }

  get stepLog(): readonly EvidenceStep[] {
    return this.steps
  }

  /** Runs one step, timing it and logging its outcome; errors pass through unchanged. */
  async step<T>(name: string, run: () => Promise<T>, detail?: (result: T) => string | undefined): Promise<T> {
    const started = new Date()
    try {
      const result = await run()
      await this.logStep({
        step: name,
        result: 'ok',
        exit_code: 0,
        duration_ms: Date.now() - started.getTime(),
        started_at: started.toISOString(),
        detail: detail?.(result),
      })
      return result
    } catch (error) {
      const {exitCode, message} = describeError(error)
      await this.logStep({
        step: name,
        result: 'failed',
        exit_code: exitCode,
        duration_ms: Date.now() - started.getTime(),
        started_at: started.toISOString(),
        detail: message,
      })
      throw error
    }
  }

  /** Logs a step that was decided without running anything (skipped, or done elsewhere). */
  async note(name: string, result: EvidenceStep['result'], detail?: string): Promise<void> {
    await this.logStep({step: name, result, exit_code: 0, duration_ms: 0, started_at: new Date().toISOString(), detail})
  }

  /** Writes the outcome, the file list and the final `meta.json`. */
  async finish(exitCode: number, message?: string): Promise<void> {
    const status = exitCode === ExitCode.Success ? 'succeeded' : 'failed'
    await writeFileSafely(join(this.dir, 'files.json'), this.json(this.filesWritten))
    await this.writeMeta({status, exit_code: exitCode, message, finished_at: new Date().toISOString()})
  }

  private async logStep(step: EvidenceStep): Promise<void> {
    this.steps.push(step)
    await appendFile(join(this.dir, 'steps.jsonl'), this.redactor.redact(JSON.stringify(step)) + '\n', {mode: 0o600})
  }

  private async writeMeta(outcome: Record<string, unknown> = {}): Promise<void> {
    Object.assign(this.meta, outcome)
    const doc = {
      run_id: this.runId,
      target: this.target,
      started_at: this.startedAt.toISOString(),
      pid: process.pid,
      node: process.version,
      ...this.meta,
    }
    await writeFileSafely(join(this.dir, 'meta.json'), this.json(doc))
  }

  private json(value: unknown): string {
    return this.redactor.redact(JSON.stringify(value, null, 2)) + '\n'
  }
}
