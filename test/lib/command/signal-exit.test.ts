// A signal ends a run even when the thread pool is stuck: a process whose read of a FIFO no one writes
// never completes (process.exit would wait for it forever) stops within a second of SIGTERM, as the shell's
// 128+15; a process with nothing stuck exits with the code 143 itself.
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {pathToFileURL} from 'node:url'

import {cleanupTempDirs, PROJECT_ROOT, tempDir} from '../../helpers/cli.js'

const INTERRUPT = pathToFileURL(join(PROJECT_ROOT, 'dist', 'lib', 'command', 'interrupt.js')).href

async function stopOnSigterm(stuckRead: string | undefined): Promise<{status: number | null; ms: number; out: string}> {
  const script = [
    `import {readFile} from 'node:fs/promises'`,
    `import {exitOnSignal, trapSignals} from ${JSON.stringify(INTERRUPT)}`,
    `trapSignals(async (signal) => { await exitOnSignal(signal) })`,
    stuckRead ? `void readFile(${JSON.stringify(stuckRead)})` : '',
    `setInterval(() => {}, 1000)`,
    `console.log('ready')`,
  ].join('\n')
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'inherit']})
  let out = ''
  await new Promise<void>((resolve) =>
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
      if (out.includes('ready')) resolve()
    }),
  )
  await new Promise((resolve) => setTimeout(resolve, 100))
  const signalled = Date.now()
  child.kill('SIGTERM')
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
  const status = await new Promise<number | null>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 128 + 15 : null))),
  )
  clearTimeout(killer)
  return {ms: Date.now() - signalled, out, status}
}

describe('exitOnSignal', () => {
  after(cleanupTempDirs)

  it('stops within a second of SIGTERM while a read of a FIFO blocks the thread pool (143)', async () => {
    const fifo = join(await tempDir('hyops-signal-'), 'fifo')
    execFileSync('mkfifo', [fifo])
    const {ms, status} = await stopOnSigterm(fifo)
    assert.equal(status, 143)
    assert.ok(ms < 1000, `stopped after ${ms} ms`)
  })

  it('exits with code 143 itself when nothing is stuck', async () => {
    const {ms, status} = await stopOnSigterm(undefined)
    assert.equal(status, 143)
    assert.ok(ms < 1000, `stopped after ${ms} ms`)
  })
})
