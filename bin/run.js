#!/usr/bin/env node
// The two modules it needs rather than all of @oclif/core (about a tenth less start-up work for
// `hyops --version`; a command's own module loads the rest when it runs).
import {execute} from '@oclif/core/execute'
import {settings} from '@oclif/core/settings'

// The production entry point runs built JavaScript only; without this, every command warns
// while a plugin is linked (`hyops plugins link`) that its ESM sources cannot be transpiled.
settings.enableAutoTranspile = false

await execute({dir: import.meta.url})
