#!/usr/bin/env node
// Runs every test/**/*.test.ts (and plugins/*/test/**/*.test.ts) with node's test runner.
// Node 20 has no glob support in --test, so the files are listed here.
import {spawnSync} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

function find(dir, out = []) {
  let names
  try {
    names = readdirSync(dir)
  } catch {
    return out
  }

  for (const name of names) {
    if (name === 'node_modules' || name === 'fixtures') continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) find(path, out)
    else if (name.endsWith('.test.ts')) out.push(path)
  }

  return out
}

const only = process.argv.slice(2)
const files =
  only.length > 0
    ? only
    : [
        ...find('test'),
        ...readdirSync('plugins', {withFileTypes: true})
          .filter((d) => d.isDirectory())
          .flatMap((d) => find(join('plugins', d.name, 'test'))),
      ].sort()
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  {stdio: 'inherit'},
)
process.exit(result.status ?? 1)
