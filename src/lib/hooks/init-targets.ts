import type {Command, Config} from '@oclif/core'

import {CORE_PACKAGE, type InitTargetInfo} from './events.js'

/**
 * The init targets among some commands: every command that declares a static `target` (all
 * `InitCommand` subclasses do), so a new core target needs no registration of its own.
 */
export function initTargetsOf(commands: readonly Command.Loadable[]): InitTargetInfo[] {
  const targets: InitTargetInfo[] = []
  for (const command of commands) {
    const target = (command as {target?: unknown}).target
    if (typeof target === 'string' && target !== '')
      targets.push({summary: command.summary ?? command.description?.split('\n')[0] ?? '', target})
  }

  return targets.sort((a, b) => a.target.localeCompare(b.target))
}

/**
 * Every installed init target: the answers of all plugins to `hyops:init-targets`, one entry
 * per target (the core's answer wins a clash), sorted by name. A plugin whose hook fails is
 * left out rather than failing the caller; `failures` names it.
 */
export async function collectInitTargets(config: Config): Promise<{targets: InitTargetInfo[]; failures: string[]}> {
  const result = await config.runHook('hyops:init-targets', {})
  const byTarget = new Map<string, InitTargetInfo>()
  const answers = [...result.successes].sort(
    (a, b) => Number(b.plugin.name === CORE_PACKAGE) - Number(a.plugin.name === CORE_PACKAGE),
  )
  for (const {result: infos} of answers) {
    for (const info of Array.isArray(infos) ? infos : []) {
      if (typeof info?.target === 'string' && !byTarget.has(info.target))
        byTarget.set(info.target, {summary: String(info.summary ?? ''), target: info.target})
    }
  }

  return {
    failures: result.failures.map((failure) => `${failure.plugin.name}: ${failure.error.message}`),
    targets: [...byTarget.values()].sort((a, b) => a.target.localeCompare(b.target)),
  }
}
