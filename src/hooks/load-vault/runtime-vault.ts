import type {Hook} from '@oclif/core'

import '../../lib/hooks/events.js'
import {openVault} from '../../lib/vault/open-vault.js'

/**
 * Core answer to `hyops:load-vault`: opens the ansible-vault env file named by the options,
 * resolving its password from the flags, the environment or a prompt.
 */
const hook: Hook<'hyops:load-vault'> = async function (options) {
  return openVault({
    environment: options.environment,
    interactive: options.interactive,
    passwordCommand: options.passwordCommand,
    passwordCommandTimeoutMs: options.passwordCommandTimeoutMs,
    passwordFile: options.passwordFile,
    promptStreams: options.promptStreams,
    vaultFile: options.vaultFile,
  })
}

export default hook
