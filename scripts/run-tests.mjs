#!/usr/bin/env node
// Runs every test/**/*.test.ts (and plugins/*/test/**/*.test.ts) with node's test runner.
// Node 20 has no glob support in --test, so the files are listed here.
import {spawn} from 'node:child_process'
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
// A test file or test that hangs fails after TEST_TIMEOUT_MS instead of holding the run; a file whose
// tests are done exits even when a handle is left open; and the whole run is stopped (every process of it) after
// RUN_LIMIT_MS, naming the limit, so CI reports a failure instead of running into its own time limit.
const TEST_TIMEOUT_MS = Number(process.env.HYOPS_TEST_TIMEOUT_MS ?? 600_000)
const RUN_LIMIT_MS = Number(process.env.HYOPS_TEST_RUN_LIMIT_MS ?? 45 * 60_000)
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    '--test-force-exit',
    '--test-reporter=spec',
    ...files,
  ],
  {detached: true, stdio: 'inherit'},
)
const stopAll = (signal) => {
  try {
    process.kill(-child.pid, signal)
  } catch {
    // the group is gone already
  }
}

const limit = setTimeout(() => {
  console.error(
    `run-tests: the test run went past ${Math.round(RUN_LIMIT_MS / 1000)} s (HYOPS_TEST_RUN_LIMIT_MS); stopping it`,
  )
  stopAll('SIGKILL')
}, RUN_LIMIT_MS)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stopAll(signal))
child.on('exit', (code, signal) => {
  clearTimeout(limit)
  stopAll('SIGKILL') // what a test left running in the group would hold CI's output open
  process.exit(code ?? (signal ? 1 : 0))
})
