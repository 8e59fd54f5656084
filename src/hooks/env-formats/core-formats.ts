import type {Hook} from '@oclif/core'

import '../../lib/env/hook.js'
import {proxmoxEnvTarget} from '../../lib/proxmox/env/target.js'

/** Core answer to `hyops:env-formats`: the proxmox target's formats. */
const hook: Hook<'hyops:env-formats'> = async function () {
  return [proxmoxEnvTarget]
}

export default hook
