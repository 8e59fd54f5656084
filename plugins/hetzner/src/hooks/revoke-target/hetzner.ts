import type {Hook, RevokeTarget} from 'hyops'

import {hetznerRevokeTarget} from '../../lib/revoke.js'

/** This plugin's answer to `hyops:revoke-target`: `hyops revoke hetzner` forgets the token here. */
const hook: Hook<'hyops:revoke-target'> = async function (): Promise<RevokeTarget[]> {
  return [hetznerRevokeTarget]
}

export default hook
