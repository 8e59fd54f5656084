import {toConfiguredId, type Hook} from '@oclif/core'

import {closestId} from '../../lib/ux/did-you-mean.js'

/**
 * `hyops init proxmx` → "Did you mean init proxmox?". At a terminal @oclif/plugin-not-found asks
 * that and runs the suggestion; without one it only says the command does not exist, so a
 * script or CI log gets the suggestion from here. plugin-not-found still ends the run (exit 2, see bin/run.js).
 */
const hook: Hook<'command_not_found'> = async function (options) {
  if (process.stdin.isTTY) return
  const visible = options.config.commands.filter((command) => !command.hidden)
  const suggestion = closestId(options.id, [...visible.map((c) => c.id), ...visible.flatMap((c) => c.aliases)])
  if (suggestion) process.stderr.write(`Did you mean ${toConfiguredId(suggestion, options.config)}?\n`)
}

export default hook
