import type {ReadinessMarker, ReadinessStatus} from '../readiness/marker.js'
import type {InitContext} from './init-command.js'

/** A target's own marker fields; `status` defaults to `ready`, `paths` joins the standard ones. */
export interface MarkerFields {
  status?: ReadinessStatus
  /** Why the status is not `ready`. */
  reason?: string
  paths?: Record<string, string>
  [field: string]: unknown
}

/**
 * A readiness marker with the standard fields filled from the run: `target`, `run_id`,
 * `generated_at` (now), `status` (`ready` unless given) and `paths.config`, `paths.evidence_dir`
 * and `paths.vault`; the target's fields and paths are added (and win).
 */
export function markerFor(
  context: Pick<InitContext, 'configFile' | 'evidence' | 'runId' | 'target' | 'vaultFile'>,
  fields: MarkerFields = {},
): ReadinessMarker {
  const {paths, status, ...rest} = fields
  return {
    generated_at: new Date().toISOString(),
    run_id: context.runId,
    target: context.target,
    ...rest,
    paths: {config: context.configFile, evidence_dir: context.evidence.dir, vault: context.vaultFile, ...paths},
    status: status ?? 'ready',
  }
}
