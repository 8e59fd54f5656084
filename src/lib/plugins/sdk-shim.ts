import {mkdir, readFile, realpath, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {CORE_PACKAGE} from '../hooks/events.js'

/** Marks the package written here, so that it is recognised (and refreshed) rather than taken for a real `hyops`. */
export const SHIM_MARKER = 'hyopsSdkShim'

export interface SdkShimRequest {
  /** The CLI's own package root (`config.root`). */
  coreRoot: string
  /** The CLI's version, which a plugin's peer dependency range is checked against. */
  coreVersion: string
  /** Where `hyops plugins install` runs npm (`config.dataDir`). */
  dataDir: string
}

/**
 * Makes `<dataDir>/node_modules/hyops` a two-file package that re-exports the running CLI's own SDK.
 *
 * `hyops plugins install` runs npm in the data directory. A provider plugin has `hyops` as a peer
 * dependency; without a `hyops` there, npm fetches and installs a second copy of the CLI for it
 * (or fails when the CLI is not on the registry). With this package in place npm sees the peer
 * satisfied and installs nothing for it, and at run time the plugin's `import … from 'hyops'`
 * loads the very module instances the CLI runs: one `HyopsError`, one `InitCommand`, one
 * `@oclif/core`. Re-exporting instead of linking keeps npm from walking into the CLI's own install.
 */
export async function writeSdkShim(request: SdkShimRequest): Promise<string> {
  const dir = join(request.dataDir, 'node_modules', CORE_PACKAGE)
  const entry = pathToFileURL(join(await realpath(request.coreRoot), 'dist', 'lib', 'index.js')).href
  const pjson = {
    name: CORE_PACKAGE,
    version: request.coreVersion,
    description: 'The SDK of the hyops CLI that runs these plugins (written by hyops plugins install)',
    type: 'module',
    exports: {'.': './index.js', './package.json': './package.json'},
    private: true,
    [SHIM_MARKER]: entry,
  }
  const current = await readFile(join(dir, 'package.json'), 'utf8').then(
    (text) => text,
    () => undefined,
  )
  const wanted = JSON.stringify(pjson, null, 2) + '\n'
  if (current === wanted) return dir
  // A real copy of hyops here is the duplicate this replaces; a link is replaced, not followed.
  await rm(dir, {force: true, recursive: true})
  await mkdir(dir, {recursive: true})
  await writeFile(join(dir, 'index.js'), `export * from ${JSON.stringify(entry)}\n`)
  await writeFile(join(dir, 'package.json'), wanted)
  // npm trusts a package-lock.json over the disk: one written before this package existed (after
  // the last plugin was uninstalled, say) would make it fetch `hyops` again. Without it npm reads
  // node_modules as it is, keeps the plugins installed there and writes a new lockfile.
  await rm(join(request.dataDir, 'package-lock.json'), {force: true})
  return dir
}
