// What a run found that will break the operator's automation later, though the credentials
// work now: said in the summary, the --json result, the marker and `init status`.

import type {MarkerDiscovery} from '../types.js'
import type {RunWarning} from '../types.js'

/** The warnings of a run's runtime values (empty when nothing is wrong). */
export function runWarnings(runtime: MarkerDiscovery): RunWarning[] {
  const warnings: RunWarning[] = []
  if (runtime.storageSnippetsSource === 'fallback') {
    const candidate = runtime.snippetsCandidate ?? runtime.storageSnippets
    const content = runtime.fileStorages?.[candidate]
    const flag = candidate === runtime.storageSnippets ? '--enable-snippets' : `--enable-snippets=${candidate}`
    const manual = content
      ? `pvesm set ${candidate} --content ${[...content, 'snippets'].join(',')}`
      : `pvesm set <storage> --content <its types>,snippets`
    warnings.push({
      code: 'snippets-fallback',
      fix: `re-run with ${flag}, or on the host: ${manual}`,
      message:
        `no storage of node ${runtime.node} has the content type snippets: storage_snippets falls back to ` +
        `"${runtime.storageSnippets}", and cloud-init snippet uploads (proxmox_virtual_environment_file) will fail`,
    })
  }

  if (runtime.bridgeSource === 'fallback' && runtime.bridgeFallbackState === 'missing')
    warnings.push({
      code: 'bridge-missing',
      fix: `set FALLBACK_BRIDGE to a bridge of the host (ip -br link show type bridge), or create ${runtime.bridge}`,
      message:
        `no active vmbr* bridge was found and the fallback bridge "${runtime.bridge}" does not exist ` + 'on the host',
    })
  else if (runtime.bridgeSource === 'fallback' && runtime.bridgeFallbackState)
    warnings.push({
      code: 'bridge-down',
      fix: `bring ${runtime.bridge} up (ifup ${runtime.bridge}), or set FALLBACK_BRIDGE to an active bridge`,
      message:
        `no active vmbr* bridge was found and the fallback bridge "${runtime.bridge}" is ` +
        runtime.bridgeFallbackState,
    })
  return warnings
}
