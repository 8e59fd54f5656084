// The readiness marker of a run that changes the token: rewritten as not ready ahead of a rotation, given back
// its bytes when the host removed nothing, and left not ready when the run fails after the token changed.

import type {ReadinessMarker} from '../../readiness/marker.js'
import {writeFileSafely} from '../../runtime/safe-write.js'
import {readUserFile, SMALL_FILE_MAX_BYTES} from '../../runtime/user-file.js'
import {buildProxmoxMarker, discoveryFromMarker} from '../outputs/marker.js'
import type {Fallbacks, MarkerDiscovery, TokenAction} from '../types.js'
import type {ProxmoxInitOutcome} from './io.js'

export interface NotReadyMarkerOptions {
  /** The marker before this run; without one nothing is written. */
  previous?: ReadinessMarker
  paths: ProxmoxInitOutcome['paths']
  runId: string
  tokenId: string
  fallbacks: Fallbacks
  redact: (text: string) => string
  write: (marker: ReadinessMarker) => Promise<string>
  now: () => Date
}

export class NotReadyMarker {
  /** The marker's bytes before a rotation's write-ahead rewrote it as not ready. */
  private before?: Buffer

  constructor(private readonly options: NotReadyMarkerOptions) {}

  /**
   * Write-ahead: before a rotation (which kills the credentials on disk the moment the host removes the old
   * token) an existing marker is rewritten as not ready, so that even a SIGKILL cannot leave it saying `ready`
   * over dead credentials. Only a completed run makes it `ready` again.
   */
  async rotating(): Promise<void> {
    const {options} = this
    if (!options.previous) return
    this.before ??= await readUserFile(options.paths.marker, {maxBytes: SMALL_FILE_MAX_BYTES}).catch(() => undefined)
    await this.write(
      `run ${options.runId} is rotating the token ${options.tokenId}; the credentials on disk stop working ` +
        'once the host removes it; not ready until a run completes',
    )
  }

  /**
   * A rotation whose script stopped on its own before the host removed anything (it said so: no
   * TOKEN_REMOVED, no secret) left the old credentials working: the marker gets back its bytes.
   */
  async restore(): Promise<void> {
    if (this.before === undefined) return
    await writeFileSafely(this.options.paths.marker, this.before, {mode: 0o600}).catch(() => {})
  }

  /**
   * The token changed on the host and the run failed after: the credentials an earlier run wrote are dead, so
   * an existing marker must not keep saying `ready`. Never throws. Says whether it wrote.
   */
  async failed(error: unknown, rotated: boolean, runtime?: MarkerDiscovery, action?: TokenAction): Promise<boolean> {
    const {options} = this
    if (!options.previous) return false
    const reason =
      `token ${rotated ? 'rotated' : 'removed'} by run ${options.runId}, which then ` +
      `failed: ${error instanceof Error ? error.message : String(error)}`
    await this.write(reason, runtime, action).catch(() => {})
    return true
  }

  private async write(reason: string, runtime?: MarkerDiscovery, action?: TokenAction): Promise<void> {
    const {options} = this
    const marker = buildProxmoxMarker({
      generatedAt: options.now(),
      paths: options.paths,
      reason: options.redact(reason),
      runId: options.runId,
      runtime: runtime ?? discoveryFromMarker(options.previous, options.fallbacks),
      status: 'not_ready',
      token: {action: action ?? 'rotated', id: options.tokenId},
    })
    await options.write(marker)
  }
}
