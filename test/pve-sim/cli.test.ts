import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {access, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {connect} from 'node:net'

describe('pve-sim cli', () => {
  it('prints one JSON line describing the running sim and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pve-sim-cli-'))
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/pve-sim/cli.ts', '--dir', dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d
          if (out.includes('\n')) resolve(out.split('\n')[0])
        })
        child.once('exit', (code) => reject(new Error(`cli exited ${code} before printing`)))
      })
      const info = JSON.parse(line) as {
        sshPort: number
        apiPort: number
        dir: string
        statePath: string
        hostKeyFingerprint: string
      }
      assert.equal(info.dir, dir)
      assert.equal(info.statePath, join(dir, 'state.json'))
      assert.match(info.hostKeyFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/)
      for (const port of [info.sshPort, info.apiPort]) {
        await new Promise<void>((resolve, reject) =>
          connect(port, '127.0.0.1')
            .once('connect', function (this: import('node:net').Socket) {
              this.destroy()
              resolve()
            })
            .once('error', reject),
        )
      }

      child.kill('SIGTERM')
      assert.equal(await exited, 0)
      await access(join(dir, 'state.json'))
    } finally {
      await rm(dir, {force: true, recursive: true})
    }
  })
})
