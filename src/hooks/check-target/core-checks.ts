import type {Hook} from '@oclif/core'

import '../../lib/hooks/check-targets.js'
import {proxmoxCheckTarget} from '../../lib/proxmox/status/live-check.js'

/** Core answer to `hyops:check-target`: the proxmox target's live check. */
const hook: Hook<'hyops:check-target'> = async function () {
  return [proxmoxCheckTarget]
}

export default hook
