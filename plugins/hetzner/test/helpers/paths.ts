import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** `plugins/hetzner`. */
export const PLUGIN_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The installed core package (`hyops`), found the way the plugin finds it at run time. */
export const CORE_ROOT = dirname(createRequire(import.meta.url).resolve('hyops/package.json'))

/** The core's CLI entry point. */
export const HYOPS_BIN = join(CORE_ROOT, 'bin', 'run.js')
