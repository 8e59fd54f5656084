import type {Hook} from '@oclif/core'

import '../../lib/hooks/revoke-targets.js'
import {proxmoxRevokeTarget} from '../../lib/proxmox/revoke/target.js'

/** Core answer to `hyops:revoke-target`: the proxmox target's revoke. */
const hook: Hook<'hyops:revoke-target'> = async function () {
  return [proxmoxRevokeTarget]
}

export default hook
