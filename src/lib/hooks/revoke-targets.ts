import type {Config} from '@oclif/core'

import type {ReadinessMarker} from '../readiness/marker.js'
import type {Clock} from '../time/clock.js'
import type {Evidence} from '../runtime/evidence.js'
import type {RuntimeLayout} from '../runtime/layout.js'
import type {LoadedVault} from '../vault/vault-access.js'
import {collectTargets} from './events.js'

/** What `hyops revoke <target>` hands a target's `plan` and `revoke`. */
export interface RevokeRequest {
  layout: RuntimeLayout
  /** The target's readiness marker (any status), when the root has one. */
  marker?: ReadinessMarker
  /** Opens the runtime vault with the command's password sources. */
  openVault: () => Promise<LoadedVault>
  /** Writes the target's marker through the core's `hyops:write-marker` hook (e.g. as `revoked`). */
  writeMarker: (marker: ReadinessMarker) => Promise<string>
  /** `--local-only`: forget the access on this machine without reaching the provider. */
  localOnly: boolean
  /** True when prompts may be shown (e.g. to trust a host key). */
  interactive: boolean
  /** This run's evidence (`<root>/logs/revoke/<target>/<run_id>/`): record steps, files, facts; never secrets. */
  evidence: Evidence
  runId: string
  clock: Clock
  /** One line of information for the operator (stderr). */
  note: (line: string) => void
  /** The environment of hyops (defaults to `process.env`). */
  environment: NodeJS.ProcessEnv
  /** Aborted on a signal: stop before the next change (what was already removed is reported by the marker). */
  stop?: AbortSignal
}

/** What a revoke would take away, worked out without changing anything (the question and `--dry-run` show it). */
export interface RevokePlan {
  /** Set when there is nothing to revoke (already revoked, never initialised): the command says it, exit 0. */
  nothing?: string
  /** What goes at the provider (the host, the API), one line each; empty when only this machine forgets. */
  remote: string[]
  /** What goes on this machine (vault keys, files, the marker), one line each. */
  local: string[]
  /** Said with the plan: e.g. where the operator must delete a token by hand. */
  notes?: string[]
}

/** What a target's `revoke` did. */
export interface RevokeAnswer {
  /** What was removed, one line each (remote and local). */
  removed: string[]
  /** What the operator must still know or do (e.g. "the token may still work"). */
  warnings: string[]
}

/** What a plugin answers to `hyops:revoke-target`: a target whose access `hyops revoke` can take back. */
export interface RevokeTarget {
  target: string
  /** What `revoke` would remove. Reads only: no change anywhere, no connection needed. */
  plan: (request: RevokeRequest) => Promise<RevokePlan>
  /**
   * Takes the access back: at the provider first (unless `localOnly`), then on this machine, leaving the marker
   * `revoked`. Throws a HyopsError (20 when the provider cannot be reached, with nothing local changed).
   */
  revoke: (request: RevokeRequest, plan: RevokePlan) => Promise<RevokeAnswer>
}

declare module '@oclif/core/hooks' {
  interface Hooks {
    /** Lists the targets a plugin can revoke (`hyops revoke <target>`). */
    'hyops:revoke-target': {options: object; return: RevokeTarget[]}
  }
}

/**
 * Every target the installed plugins answer `hyops:revoke-target` with, by name (the core's answer wins a clash).
 * A plugin whose hook fails is left out; `failures` names it.
 */
export async function collectRevokeTargets(
  config: Config,
): Promise<{targets: Map<string, RevokeTarget>; failures: string[]}> {
  return collectTargets(config, 'hyops:revoke-target', isRevokeTarget)
}

function isRevokeTarget(value: unknown): value is RevokeTarget {
  const target = value as RevokeTarget | undefined
  return typeof target?.target === 'string' && typeof target.plan === 'function' && typeof target.revoke === 'function'
}
