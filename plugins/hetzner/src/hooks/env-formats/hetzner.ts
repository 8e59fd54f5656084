import type {EnvTarget, Hook} from 'hyops'

import {hetznerEnvTarget} from '../../lib/env.js'

/** This plugin's answer to `hyops:env-formats`: `hyops env hetzner --format hcloud|tfvars`. */
const hook: Hook<'hyops:env-formats'> = async function (): Promise<EnvTarget[]> {
  return [hetznerEnvTarget]
}

export default hook
