import type {CheckTarget, Hook} from 'hyops'

import {hetznerCheckTarget} from '../../lib/check.js'

/** This plugin's answer to `hyops:check-target`: `hyops init status --check` proves the hetzner token. */
const hook: Hook<'hyops:check-target'> = async function (): Promise<CheckTarget[]> {
  return [hetznerCheckTarget]
}

export default hook
