import type {Command, Config} from '@oclif/core'

import {CORE_PACKAGE, type InitTargetInfo} from './events.js'

/**
 * The init targets among some commands: every command that declares a static `target` (all
 * `InitCommand` subclasses do), sorted by name. oclif keeps static fields in the manifest, so
 * this reads no command module.
 */
export function initTargetsOf(commands: readonly Command.Loadable[]): InitTargetInfo[] {
  const targets = new Map<string, InitTargetInfo>()
  for (const command of commands) {
    const target = (command as {target?: unknown}).target
    if (typeof target === 'string' && target !== '' && !targets.has(target))
      targets.set(target, {summary: command.summary ?? command.description?.split('\n')[0] ?? '', target})
  }

  return [...targets.values()].sort((a, b) => a.target.localeCompare(b.target))
}

const coreFirst = <T extends {pluginName?: string}>(items: readonly T[], name: (item: T) => string | undefined) =>
  [...items].sort((a, b) => Number(name(b) === CORE_PACKAGE) - Number(name(a) === CORE_PACKAGE))

/**
 * Every installed init target, one entry per target, sorted by name: the `init <target>` commands
 * of every plugin (found in `config.commands` by their static `target`, so a target needs no
 * registration of its own), and the answers of plugins that still answer `hyops:init-targets`.
 * The core's target wins a clash. A plugin whose hook fails is left out; `failures` names it.
 */
export async function collectInitTargets(config: Config): Promise<{targets: InitTargetInfo[]; failures: string[]}> {
  const byTarget = new Map<string, InitTargetInfo>()
  for (const info of initTargetsOf(coreFirst(config.commands, (command) => command.pluginName)))
    byTarget.set(info.target, info)
  const result = await config.runHook('hyops:init-targets', {})
  for (const {result: infos} of coreFirst(
    result.successes.map((success) => ({...success, pluginName: success.plugin.name})),
    (answer) => answer.pluginName,
  )) {
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
