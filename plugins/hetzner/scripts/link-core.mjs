#!/usr/bin/env node
// Makes the core package resolvable as `hyops` from this plugin while it lives in the hyops
// repository: node_modules/hyops → the repository root. Type-checking and run time then find
// the core's public exports (`dist/lib/index.js`) exactly as they would find an installed
// `hyops`, and `@oclif/core` resolves from the root's node_modules by walking up.
// `hyops` is not on the npm registry, so `npm install` cannot do this for us.
import {existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const pluginRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const coreRoot = resolve(pluginRoot, '..', '..')
const link = join(pluginRoot, 'node_modules', 'hyops')

function fail(message) {
  console.error(`link-core: ${message}`)
  process.exit(1)
}

let coreName
try {
  coreName = JSON.parse(readFileSync(join(coreRoot, 'package.json'), 'utf8')).name
} catch (error) {
  fail(`cannot read ${join(coreRoot, 'package.json')}: ${error.message}`)
}

if (coreName !== 'hyops') fail(`${coreRoot} is not the hyops package (its name is ${JSON.stringify(coreName)})`)
if (!existsSync(join(coreRoot, 'dist', 'lib', 'index.d.ts')))
  fail(
    `the core is not built (no ${join(coreRoot, 'dist', 'lib', 'index.d.ts')}): run npm run build at ${coreRoot} first`,
  )

let present
try {
  present = lstatSync(link)
} catch {
  present = undefined
}

if (present) {
  if (!present.isSymbolicLink()) fail(`${link} exists and is not a symlink; remove it and re-run`)
  let target
  try {
    target = realpathSync(link)
  } catch {
    target = undefined
  }

  if (target === realpathSync(coreRoot)) process.exit(0)
  fail(`${link} points to ${readlinkSync(link)}, not to ${coreRoot}; remove it and re-run`)
}

mkdirSync(dirname(link), {recursive: true})
symlinkSync(relative(dirname(link), coreRoot), link, 'dir')
console.error(`link-core: ${link} -> ${coreRoot}`)
