import type {Config} from '@oclif/core'

import type {ReadinessMarker} from '../readiness/marker.js'
import type {Clock} from '../time/clock.js'
import type {RuntimeLayout} from '../runtime/layout.js'
import type {LoadedVault} from '../vault/vault-access.js'
import {collectTargets} from './events.js'

/** What `hyops init status --check` hands a target's `check`. */
export interface CheckRequest {
  layout: RuntimeLayout
  /** The target's readiness marker, status `ready` (checked by the core). */
  marker: ReadinessMarker
  /** Opens the runtime vault with the command's password sources. */
  openVault: () => Promise<LoadedVault>
  /** The environment of hyops (defaults to `process.env`). */
  environment: NodeJS.ProcessEnv
  /** The time to check expiries against (hyops' clock; absent: the machine's). */
  clock?: Clock
}

/** A target's answer when its credentials work: one line saying what was proved. */
export interface CheckAnswer {
  detail: string
  /** What works today but needs the operator soon (e.g. a token inside its renewal window); exit stays 0. */
  warnings?: string[]
}

/** What a plugin answers to `hyops:check-target`: a target whose credentials can be checked live. */
export interface CheckTarget {
  target: string
  /**
   * Proves the root's credentials against the live API (never changing anything). Resolves with what was
   * proved; throws a HyopsError (its exit code, message and hint are reported) when they do not work.
   */
  check: (request: CheckRequest) => Promise<CheckAnswer>
}

declare module '@oclif/core/hooks' {
  interface Hooks {
    /** Lists the targets a plugin can check live (`hyops init status --check`). */
    'hyops:check-target': {options: object; return: CheckTarget[]}
  }
}

/**
 * Every target the installed plugins answer `hyops:check-target` with, by name (the core's answer wins a
 * clash). A plugin whose hook fails is left out; `failures` names it.
 */
export async function collectCheckTargets(
  config: Config,
): Promise<{targets: Map<string, CheckTarget>; failures: string[]}> {
  return collectTargets(config, 'hyops:check-target', isCheckTarget)
}

function isCheckTarget(value: unknown): value is CheckTarget {
  const target = value as CheckTarget | undefined
  return typeof target?.target === 'string' && typeof target.check === 'function'
}
