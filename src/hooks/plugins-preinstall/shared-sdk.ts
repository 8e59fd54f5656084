import type {Hook} from '@oclif/core'

import {useLocalPath} from '../../lib/plugins/local-source.js'
import {writeSdkShim} from '../../lib/plugins/sdk-shim.js'

/**
 * Before `hyops plugins install` runs npm: a local tarball or folder is installed from its
 * absolute path, and the plugin's peer dependency `hyops` is satisfied by the running CLI
 * (see writeSdkShim), so npm never installs the CLI a second time.
 */
const hook: Hook<'plugins:preinstall'> = async function (options) {
  await useLocalPath(options.plugin, process.cwd())
  await writeSdkShim({
    coreRoot: options.config.root,
    coreVersion: options.config.version,
    dataDir: options.config.dataDir,
  })
}

export default hook
