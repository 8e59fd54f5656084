import type {Config} from '@oclif/core'

import type {ReadinessMarker} from '../readiness/marker.js'
import type {RuntimeLayout} from '../runtime/layout.js'
import type {LoadedVault, VaultAccessOptions} from '../vault/vault-access.js'
import {HyopsError, ExitCode} from '../errors.js'

/** The npm name of the core package, whose hooks answer first. */
export const CORE_PACKAGE = 'hyops'

/** Options of the `hyops:load-vault` hook: which vault, and how to get its password. */
export interface LoadVaultHookOptions extends VaultAccessOptions {}

/** Options of the `hyops:write-marker` hook. */
export interface WriteMarkerHookOptions {
  layout: RuntimeLayout
  marker: ReadinessMarker
}

/** What a provider plugin answers to `hyops:init-targets`: the targets it adds. */
export interface InitTargetInfo {
  target: string
  summary: string
}

declare module '@oclif/core/hooks' {
  interface Hooks {
    /** Opens the runtime vault for a command that needs secrets. Returns the loaded vault. */
    'hyops:load-vault': {options: LoadVaultHookOptions; return: LoadedVault}
    /** Writes a readiness marker. Returns the marker's path. */
    'hyops:write-marker': {options: WriteMarkerHookOptions; return: string}
    /** Lists the init targets a plugin provides, for `hyops init status`. */
    'hyops:init-targets': {options: object; return: InitTargetInfo[]}
  }
}

/**
 * Runs a hyops hook and returns the answer of the plugin that owns the event (the core
 * first, else the first that answered). A failure of that hook is rethrown as it was.
 */
export async function runOwnedHook<E extends 'hyops:load-vault' | 'hyops:write-marker'>(
  config: Config,
  event: E,
  options: E extends 'hyops:load-vault' ? LoadVaultHookOptions : WriteMarkerHookOptions,
): Promise<E extends 'hyops:load-vault' ? LoadedVault : string> {
  const result = await config.runHook(event, options as never)
  if (result.failures.length > 0) throw result.failures[0].error
  const answer = result.successes.find((s) => s.plugin.name === CORE_PACKAGE) ?? result.successes[0]
  if (answer === undefined)
    throw new HyopsError(ExitCode.DependencyMissing, `no plugin handles the ${event} hook`, {hint: 'reinstall hyops'})
  return answer.result as never
}

/**
 * The targets plugins answer a listing event with (`hyops:env-formats`, `hyops:check-target`), by name: the
 * core's answer wins a clash, entries `accept` refuses are dropped, and a plugin whose hook fails is left
 * out (`failures` names it).
 */
export async function collectTargets<T extends {target: string}>(
  config: Config,
  event: 'hyops:env-formats' | 'hyops:check-target' | 'hyops:revoke-target',
  accept: (value: unknown) => value is T,
): Promise<{targets: Map<string, T>; failures: string[]}> {
  const result = await config.runHook(event, {})
  const answers = [...result.successes].sort(
    (a, b) => Number(b.plugin.name === CORE_PACKAGE) - Number(a.plugin.name === CORE_PACKAGE),
  )
  const targets = new Map<string, T>()
  for (const {result: list} of answers) {
    for (const target of Array.isArray(list) ? (list as unknown[]) : []) {
      if (accept(target) && !targets.has(target.target)) targets.set(target.target, target)
    }
  }

  return {failures: result.failures.map((f) => `${f.plugin.name}: ${f.error.message}`), targets}
}
