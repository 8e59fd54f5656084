import type {CheckTarget} from 'hyops'

import {validateHetznerToken} from './api.js'
import {DEFAULT_HCLOUD_API, loadHetznerConfig} from './config.js'
import {hetznerToken} from './env.js'
import {HETZNER_TARGET} from './target.js'

/** `hyops init status --check` for hetzner: the root's token, asked against the API it was made for. */
export const hetznerCheckTarget: CheckTarget = {
  async check(request) {
    const token = await hetznerToken(request)
    const configFile =
      typeof request.marker.paths?.config === 'string'
        ? request.marker.paths.config
        : request.layout.configFile(HETZNER_TARGET)
    const config = await loadHetznerConfig(configFile, request.layout.root, {environment: request.environment})
    const answer = await validateHetznerToken(token, {
      apiUrl: config?.apiUrl ?? DEFAULT_HCLOUD_API,
      caFile: config?.caFile,
    })
    return {detail: `token works against ${answer.url} (${answer.servers} servers visible)`}
  },
  target: HETZNER_TARGET,
}
