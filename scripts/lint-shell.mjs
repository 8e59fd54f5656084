#!/usr/bin/env node
// shellcheck over every shell file of the project (or the files named as arguments): part of npm run lint.
// Every .sh names its shell with a `# shellcheck shell=` directive (the bootstrap's pieces in
// src/lib/proxmox/bootstrap/sh/ have no shebang: they are sent to `bash -s` on stdin); a file without one fails here.
import {spawnSync} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

const SKIP = new Set(['node_modules', 'dist', '.git', 'tmp', '.bench'])

function shellFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) shellFiles(path, out)
    else if (name.endsWith('.sh')) out.push(path)
  }
  return out
}

const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : ['src', 'scripts', 'test', '.ci', 'plugins'].flatMap((d) => shellFiles(d))
const result = spawnSync('shellcheck', ['--severity=style', '--', ...files, '.ci/run'], {
  stdio: 'inherit',
})
if (result.error) {
  console.error(`lint: cannot run shellcheck (${result.error.code}): install the Debian package shellcheck`)
  process.exit(2)
}
process.exit(result.status ?? 1)
