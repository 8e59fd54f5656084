import type {Hook, InitTargetInfo} from 'hyops'

import {HETZNER_SUMMARY, HETZNER_TARGET} from '../../lib/target.js'

/** This plugin's answer to `hyops:init-targets`: it adds `hyops init hetzner`. */
const hook: Hook<'hyops:init-targets'> = async function (): Promise<InitTargetInfo[]> {
  return [{summary: HETZNER_SUMMARY, target: HETZNER_TARGET}]
}

export default hook
