#!/usr/bin/env node
import {execute, settings} from '@oclif/core'

// The production entry point runs built JavaScript only; without this, every command warns
// while a plugin is linked (`hyops plugins link`) that its ESM sources cannot be transpiled.
settings.enableAutoTranspile = false

await execute({dir: import.meta.url})
