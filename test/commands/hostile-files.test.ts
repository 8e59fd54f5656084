// Hostile files and streams, end to end on a root made ready by init proxmox on the simulated host: each
// file hyops reads made a FIFO (credentials, the key file they name, marker, vault, TLS_CA_FILE, ssh config,
// the config) ends the command within seconds with its documented code and one line naming the file; a NUL
// or another control character in the credentials file is exit 21 from env and exec; env into /dev/full is
// exit 30 with one line; init blocked on a FIFO (its vault password command reads one) stops on SIGTERM
// within a second with 143, the marker, vault and credentials as they were. See docs/hostile-input.md.
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {constants, openSync, closeSync} from 'node:fs'
import {readFile, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {openVault} from '../../src/lib/vault/open-vault.js'
import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'
import {CLI, cleanupTempDirs, PROJECT_ROOT, runCli, tempDir, type CliRun} from '../helpers/cli.js'
import {hyopsArgs, readyRoot} from '../helpers/env-root.js'
import {initProxmox, type ProxmoxRoot} from '../helpers/proxmox-env.js'

const NO_STACK = /\n\s+at \S/
let sim: PveSim
let at: ProxmoxRoot
let fifoDir: string

function mkfifo(name: string): string {
  const path = join(fifoDir, name)
  execFileSync('mkfifo', [path])
  return path
}

/** A run that ended within `ms` with `code` and one line on stderr naming `file`. */
function assertQuickOneLine(run: CliRun & {ms: number}, code: number, file: string, ms = 10_000): void {
  assert.equal(run.code, code, `exit ${run.code}: ${run.stderr}`)
  assert.ok(run.ms < ms, `took ${run.ms} ms`)
  const lines = run.stderr.trim().split('\n')
  assert.equal(lines.length, 1, run.stderr)
  assert.ok(lines[0].includes(file), `${lines[0]} names ${file}`)
  assert.doesNotMatch(run.stderr, NO_STACK)
}

async function timed(work: Promise<CliRun>): Promise<CliRun & {ms: number}> {
  const started = Date.now()
  const run = await work
  return {...run, ms: Date.now() - started}
}

/** Runs with `path` swapped for a FIFO, then puts the original back. */
async function withFifoAt<T>(path: string, work: () => Promise<T>): Promise<T> {
  await rename(path, `${path}.saved`)
  execFileSync('mkfifo', [path])
  try {
    return await work()
  } finally {
    await rm(path, {force: true})
    await rename(`${path}.saved`, path)
  }
}

function env(args: string[]): Promise<CliRun & {ms: number}> {
  return timed(runCli(hyopsArgs(at, 'env', args), {env: {HOME: at.home}, timeoutMs: 30_000}))
}

describe('hostile files and streams', () => {
  before(async () => {
    sim = await startPveSim()
    at = (await readyRoot(sim)).at
    fifoDir = await tempDir('hyops-fifos-')
  })
  after(async () => {
    await sim?.stop()
    await cleanupTempDirs()
  })

  it('env: the credentials file as a FIFO is exit 21 at once, naming it', async () => {
    const run = await withFifoAt(at.credentialsFile, () => env(['proxmox']))
    assertQuickOneLine(run, 21, at.credentialsFile)
    assert.match(run.stderr, /a FIFO \(named pipe\), not a regular file/)
  })

  it('env --format bpg: the key file the credentials name as a FIFO is exit 21, naming it', async () => {
    const original = await readFile(at.credentialsFile, 'utf8')
    const fifo = mkfifo('key')
    await writeFile(at.credentialsFile, original.replace(/^(proxmox_ssh_key\s*=\s*)".*"$/m, `$1"${fifo}"`))
    try {
      const run = await env(['proxmox', '--format', 'bpg'])
      assertQuickOneLine(run, 21, fifo)
    } finally {
      await writeFile(at.credentialsFile, original)
    }
  })

  it('init status --check: the marker as a FIFO is exit 21 at once, reported unreadable and named', async () => {
    const run = await withFifoAt(at.markerFile, () =>
      timed(runCli(['init', 'status', '--check', '--root', at.root], {env: {HOME: at.home}, timeoutMs: 30_000})),
    )
    assert.ok(run.ms < 10_000, `took ${run.ms} ms`)
    assert.equal(run.code, 21, run.stdout + run.stderr)
    assert.match(run.stdout + run.stderr, /unreadable \(it is a FIFO \(named pipe\), not a regular file\)/)
    assert.ok((run.stdout + run.stderr).includes(at.markerFile))
    assert.doesNotMatch(run.stderr, NO_STACK)
  })

  it('vault keys: the vault as a FIFO is exit 21 at once, naming it', async () => {
    const run = await withFifoAt(at.vaultFile, () =>
      timed(
        runCli(['vault', 'keys', '--root', at.root, '--vault-password-file', at.passwordFile], {
          env: {HOME: at.home},
          timeoutMs: 30_000,
        }),
      ),
    )
    assertQuickOneLine(run, 21, at.vaultFile)
  })

  it('vault keys: the password file as a FIFO is exit 21 at once, naming it', async () => {
    const fifo = mkfifo('password')
    const run = await timed(
      runCli(['vault', 'keys', '--root', at.root, '--vault-password-file', fifo], {
        env: {HOME: at.home},
        timeoutMs: 30_000,
      }),
    )
    assertQuickOneLine(run, 21, fifo)
  })

  for (const [what, key] of [
    ['TLS_CA_FILE', 'HYOPS_PROXMOX_TLS_CA_FILE'],
    ['the ssh config', 'HYOPS_PROXMOX_SSH_CONFIG'],
  ] as const) {
    it(`init proxmox: ${what} as a FIFO is exit 11 at once, naming it`, async () => {
      const fifo = mkfifo(`init-${key}`)
      const extra = key === 'HYOPS_PROXMOX_TLS_CA_FILE' ? {HYOPS_PROXMOX_TLS_SKIP: 'false'} : {}
      const run = await timed(initProxmox(at, [], {[key]: fifo, ...extra}, {timeoutMs: 30_000}))
      assert.equal(run.code, 11, run.stderr)
      assert.ok(run.ms < 10_000, `took ${run.ms} ms`)
      assert.match(run.stderr, new RegExp(`^Error: [^\\n]*${fifo}[^\\n]*a FIFO`, 'm'))
      assert.doesNotMatch(run.stderr, NO_STACK)
    })
  }

  it('init proxmox: the config file as a FIFO is exit 11 at once, naming it', async () => {
    const fifo = mkfifo('config')
    const run = await timed(initProxmox(at, ['--config', fifo], {}, {timeoutMs: 30_000}))
    assert.equal(run.code, 11, run.stderr)
    assert.ok(run.ms < 10_000, `took ${run.ms} ms`)
    assert.match(run.stderr, new RegExp(`^Error: cannot read config ${fifo}: it is a FIFO`, 'm'))
  })

  for (const [label, value] of [
    ['a NUL', String.raw`pve\u00001`],
    ['an escape character', String.raw`pve\u001b[2J`],
  ] as const) {
    it(`env and exec: ${label} in the credentials is exit 21, "garbled credentials", file and line named`, async () => {
      const original = await readFile(at.credentialsFile, 'utf8')
      const lineNo = original.split('\n').findIndex((line) => line.startsWith('proxmox_node')) + 1
      assert.ok(lineNo > 0)
      await writeFile(at.credentialsFile, original.replace(/^(proxmox_node\s*=\s*)".*"$/m, `$1"${value}"`))
      try {
        const runs = [
          await env(['proxmox', '--format', 'tfvars']),
          await timed(
            runCli(hyopsArgs(at, 'exec', ['proxmox', '--format', 'tfvars', '--', 'true']), {
              env: {HOME: at.home},
              timeoutMs: 30_000,
            }),
          ),
        ]
        for (const run of runs) {
          assertQuickOneLine(run, 21, at.credentialsFile)
          assert.match(run.stderr, new RegExp(`garbled credentials in \\S+: line ${lineNo}: the value of proxmox_node`))
        }
      } finally {
        await writeFile(at.credentialsFile, original)
      }
    })
  }

  it('env and exec: a NUL in the vault secret is exit 21, "garbled credentials", naming the variable', async () => {
    const vault = await openVault({interactive: false, passwordFile: at.passwordFile, vaultFile: at.vaultFile})
    const secret = vault.values.PROXMOX_TOKEN_SECRET
    await vault.update({PROXMOX_TOKEN_SECRET: 'pve\u00001'})
    try {
      for (const command of ['env', 'exec'] as const) {
        const args = command === 'env' ? ['proxmox'] : ['proxmox', '--', 'true']
        const run = await timed(runCli(hyopsArgs(at, command, args), {env: {HOME: at.home}, timeoutMs: 30_000}))
        assert.equal(run.code, 21, run.stderr)
        assert.match(run.stderr, /^Error: garbled credentials for proxmox: the value of \w+ holds a NUL/)
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr)
      }
    } finally {
      await vault.update({PROXMOX_TOKEN_SECRET: secret})
    }
  })

  it('env into /dev/full is exit 30 with one line, no stack trace; into a closed pipe, exit 30, quiet', async () => {
    const full = openSync('/dev/full', 'w')
    const run = await new Promise<{code: number | null; stderr: string}>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...hyopsArgs(at, 'env', ['proxmox'])], {
        cwd: PROJECT_ROOT,
        env: {HOME: at.home, PATH: process.env.PATH},
        stdio: ['ignore', full, 'pipe'],
      })
      let stderr = ''
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child.on('close', (code) => resolve({code, stderr}))
    })
    closeSync(full)
    assert.equal(run.code, 30, run.stderr)
    assert.equal(run.stderr, 'Error: cannot write the output: no space left on the device (ENOSPC)\n')

    const piped = await new Promise<{code: number | null; stderr: string}>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...hyopsArgs(at, 'env', ['proxmox'])], {
        cwd: PROJECT_ROOT,
        env: {HOME: at.home, PATH: process.env.PATH},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout.destroy()
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child.on('close', (code) => resolve({code, stderr}))
    })
    assert.equal(piped.code, 30, piped.stderr)
    assert.equal(piped.stderr, '')
  })

  it('init blocked on a FIFO (its password command reads one): SIGTERM is 143 within 1 s, nothing lost', async () => {
    const fifo = mkfifo('password-command')
    const before = await Promise.all([at.markerFile, at.vaultFile, at.credentialsFile].map((f) => readFile(f)))
    let writer: number | undefined
    const started = Date.now()
    let signalled = 0
    const run = runCli(['init', 'proxmox', '--root', at.root, '--vault-password-command', `cat ${fifo}`], {
      env: {HOME: at.home},
      onSpawn(child) {
        // A writer can open the FIFO without blocking only once its reader (the password command) has it open.
        const poll = setInterval(() => {
          try {
            writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
          } catch {
            if (Date.now() - started > 20_000) child.kill('SIGKILL')
            return
          }

          clearInterval(poll)
          signalled = Date.now()
          child.kill('SIGTERM')
        }, 20)
      },
      timeoutMs: 30_000,
    })
    const result = await run
    const stoppedIn = Date.now() - signalled
    if (writer !== undefined) closeSync(writer)
    assert.ok(signalled > 0, `never blocked on the FIFO: ${result.stderr}`)
    assert.equal(result.code, 143, result.stderr)
    assert.ok(stoppedIn < 1000, `stopped ${stoppedIn} ms after SIGTERM`)
    assert.match(result.stderr, /^Interrupted by SIGTERM: [^\n]+$/m)
    assert.doesNotMatch(result.stderr, NO_STACK)
    const after = await Promise.all([at.markerFile, at.vaultFile, at.credentialsFile].map((f) => readFile(f)))
    assert.deepEqual(after, before, 'marker, vault and credentials are as they were')
    assert.ok(!(await readFile(join(at.root, 'meta', '.init.lock')).catch(() => undefined)), 'the lock is released')
  })
})
