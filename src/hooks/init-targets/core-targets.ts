import type {Hook} from '@oclif/core'

import {CORE_PACKAGE} from '../../lib/hooks/events.js'
import {initTargetsOf} from '../../lib/hooks/init-targets.js'

/** Core answer to `hyops:init-targets`: the targets of the core's own `init` commands. */
const hook: Hook<'hyops:init-targets'> = async function (options) {
  return initTargetsOf(options.config.plugins.get(CORE_PACKAGE)?.commands ?? [])
}

export default hook
