#!/usr/bin/env node
// Only the parts of @oclif/core it needs (about a tenth less start-up work for `hyops --version`;
// a command's own module loads the rest when it runs).
import {flush} from '@oclif/core/flush'
import {handle} from '@oclif/core/handle'
import {run} from '@oclif/core/run'
import {settings} from '@oclif/core/settings'

import {
  guardOutputStreams,
  isOutputFailure,
  outputFailed,
  reportOutputFailure,
} from '../dist/lib/command/output-failure.js'

// The production entry point runs built JavaScript only; without this, every command warns
// while a plugin is linked (`hyops plugins link`) that its ESM sources cannot be transpiled.
settings.enableAutoTranspile = false

// @oclif/core checks the Node version against its own engines (>=18) by loading all of semver,
// about a tenth of a command's start-up. hyops checks its own floor instead, without semver.
if (Number(process.versions.node.split('.')[0]) < 20) {
  process.emitWarning(`hyops needs Node.js 20 or newer; this is ${process.version}`)
}

process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'

// @oclif/plugin-not-found ends an unknown command with 127, the shell's "command not found";
// the init contract makes an unknown command or target a usage error: exit 2.
// A failed write of stdout or stderr (a full disk, a closed pipe) is exit 30 with one line, never a stack
// trace or a wait for a drain that cannot come.
guardOutputStreams()
await run(process.argv.slice(2), import.meta.url)
  .then(() => (outputFailed() ? undefined : flush()))
  .catch((error) => {
    if (isOutputFailure(error)) return reportOutputFailure(error)
    if (error?.oclif?.exit === 127) error.oclif.exit = 2
    return handle(error)
  })
