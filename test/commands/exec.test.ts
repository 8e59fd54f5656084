// hyops exec end to end: the variables reach the child's environment only (no
// argv, no file), exit codes and signals pass through, stdio is the child's; and a Node
// client that trusts only SSL_CERT_FILE reaches the simulated API with verified TLS.
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {createHash} from 'node:crypto'
import {after, before, describe, it} from 'node:test'

import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'
import {CLI, cleanupTempDirs, PROJECT_ROOT, tempDir} from '../helpers/cli.js'
import {
  childPids,
  cmdline,
  HOSTILE_SECRET,
  hyopsArgs,
  minimalEnv,
  readyRoot,
  readyRootWithSecret,
  spawnCollect,
} from '../helpers/env-root.js'
import {scanForSecret, type ProxmoxRoot} from '../helpers/proxmox-env.js'
import {TerminalSession} from '../helpers/terminal.js'
import {requireTool} from '../helpers/tools.js'

const NO_STACK = /\n\s+at \S/
let sim: PveSim
let at: ProxmoxRoot

/** `hyops exec <args>` with pipes; stdout collected as it comes. */
function startExec(args: string[]): {child: ChildProcess; output: () => string; ended: Promise<End>} {
  const child = spawn(process.execPath, [CLI, ...hyopsArgs(at, 'exec', args)], {
    cwd: PROJECT_ROOT,
    env: minimalEnv(at),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const ended = new Promise<End>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr, stdout})
    }),
  )
  return {child, ended, output: () => stdout}
}

interface End {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('hyops exec against a root made by init proxmox on the simulated host', () => {
  before(async () => {
    sim = await startPveSim()
    at = await readyRootWithSecret(sim, HOSTILE_SECRET)
  })
  after(async () => {
    await sim?.stop()
    await cleanupTempDirs()
  })

  it('the child sees PROXMOX_VE_API_TOKEN (its sha256 is right); the secret is in no argv and no file', async () => {
    // The child prints the hash, then waits for a line on stdin (inherited) before it exits.
    const script = 'echo "$PROXMOX_VE_API_TOKEN" | sha256sum; echo waiting; read line; echo "got $line"'
    const run = startExec(['proxmox', '--format', 'bpg', '--', 'sh', '-c', script])
    await waitFor(() => run.output().includes('waiting'), 'the child to print its hash')

    const hyopsPid = run.child.pid!
    const argvs: string[][] = [await cmdline(hyopsPid)]
    const children = await childPids(hyopsPid)
    assert.equal(children.length, 1, 'one child')
    argvs.push(await cmdline(children[0]))
    assert.deepEqual(argvs[1], ['sh', '-c', script], 'the child runs the command as given')
    for (const argv of argvs) assert.ok(!argv.some((arg) => arg.includes(HOSTILE_SECRET)), `secret in ${argv[0]}`)
    assert.ok(!argvs.flat().some((arg) => arg.includes('PROXMOX_VE_API_TOKEN=')))

    run.child.stdin!.end('hello\n')
    const end = await run.ended
    assert.equal(end.code, 0, end.stderr)
    const hash = createHash('sha256').update(`${at.tokenId}=${HOSTILE_SECRET}\n`).digest('hex')
    assert.equal(end.stdout, `${hash}  -\nwaiting\ngot hello\n`)
    assert.ok(!end.stdout.includes(HOSTILE_SECRET) && !end.stderr.includes(HOSTILE_SECRET))
    const files = [
      ...(await scanForSecret(at.root, HOSTILE_SECRET, {except: [at.vaultFile, at.credentialsFile]})),
      ...(await scanForSecret(at.home, HOSTILE_SECRET)),
    ]
    assert.deepEqual(files, [], 'no file holds the secret (no evidence, no temp file)')
  })

  it('passes the exit code through (7), and stderr is the child’s', async () => {
    const end = await startExec(['proxmox', '--format', 'telmate', '--', 'sh', '-c', 'echo oops >&2; exit 7']).ended
    assert.equal(end.code, 7)
    assert.equal(end.stderr, 'oops\n')
    assert.equal(end.stdout, '')
  })

  it('forwards SIGTERM: a child that traps it exits its own way, hyops with its code', async () => {
    const script = `trap 'echo term; exit 42' TERM; echo ready; while :; do sleep 0.05; done`
    const run = startExec(['proxmox', '--', 'sh', '-c', script])
    await waitFor(() => run.output().includes('ready'), 'the child to start')
    run.child.kill('SIGTERM')
    const end = await run.ended
    assert.equal(end.code, 42, end.stderr)
    assert.equal(end.stdout, 'ready\nterm\n')
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`a child killed by ${signal} (sent to hyops) ends hyops by ${signal} too`, async () => {
      const run = startExec(['proxmox', '--', 'sh', '-c', 'echo ready; exec sleep 60'])
      await waitFor(() => run.output().includes('ready'), 'the child to start')
      const [child] = await childPids(run.child.pid!)
      run.child.kill(signal)
      const end = await run.ended
      assert.equal(end.signal, signal, `hyops ended by ${signal} (code ${end.code}): ${end.stderr}`)
      assert.equal(end.stderr, '')
      assert.deepEqual(await childPids(run.child.pid!), [])
      assert.ok(child > 0)
    })
  }

  it('at a terminal (tmux), Ctrl-C reaches the command, and hyops outlives it to pass its exit code on', async () => {
    requireTool('tmux', 'tmux')
    const dir = await tempDir('hyops-exec-tty-')
    const script =
      `n=0; trap 'n=$((n+1))' INT; echo ready; ` +
      `while [ "$n" = 0 ]; do sleep 0.05; done; sleep 0.5; echo "ints=$n"; exit 5`
    const session = await TerminalSession.start(
      [process.execPath, CLI, ...hyopsArgs(at, 'exec', ['proxmox', '--', 'sh', '-c', script])],
      {...minimalEnv(at), TERM: 'xterm'},
      dir,
    )
    try {
      const run = await session.answerUntilExit([{keys: ['C-c'], when: /^ready$/m}])
      assert.equal(run.answered, 1, run.screen)
      assert.equal(run.code, 5, run.screen)
      // The terminal's interrupt reached the command; hyops did not die of it (that would be 130).
      assert.match(run.screen, /ints=1$/m)
    } finally {
      await session.kill()
    }
  })

  it('no command, or one that does not exist: exit 2, exit 127, one line', async () => {
    const none = await startExec(['proxmox']).ended
    assert.equal(none.code, 2, none.stderr)
    assert.match(none.stderr, /no command to run \(put it after --/)
    const noDashes = await startExec(['proxmox', 'terraform', 'plan']).ended
    assert.equal(noDashes.code, 2, noDashes.stderr)
    assert.match(noDashes.stderr, /the command must follow --/)
    const missing = await startExec(['proxmox', '--', 'no-such-command-hyops']).ended
    assert.equal(missing.code, 127, missing.stderr)
    assert.match(missing.stderr, /^Error: no-such-command-hyops: command not found/)
    assert.doesNotMatch(missing.stderr, NO_STACK)
  })

  it('verified TLS: a Node client trusting only SSL_CERT_FILE reaches the API (the system roots do not)', async () => {
    const verified = await readyRoot(sim, {TLS_SKIP: 'false'})
    // A Go-like client: the CAs are exactly those of SSL_CERT_FILE; the token from the bpg variable.
    const client = `
      const {readFileSync} = require('node:fs'); const https = require('node:https'); const tls = require('node:tls')
      const file = process.env.SSL_CERT_FILE
      const ca = process.argv[1] === 'system' ? tls.rootCertificates : readFileSync(file, 'utf8')
      const url = new URL('api2/json/version', process.env.PROXMOX_VE_ENDPOINT)
      https.get(url, {ca, headers: {Authorization: 'PVEAPIToken=' + process.env.PROXMOX_VE_API_TOKEN}}, (res) => {
        res.resume(); console.log('status ' + res.statusCode + ' ' + (file ?? 'no SSL_CERT_FILE'))
      }).on('error', (e) => { console.log('error ' + e.code); process.exitCode = 3 })`
    const args = (mode: string) =>
      hyopsArgs(verified.at, 'exec', ['proxmox', '--format', 'bpg', '--', process.execPath, '-e', client, mode])
    const bundle = `${verified.at.root}/state/proxmox-ca-bundle.pem`
    const ok = await spawnCollect(process.execPath, [CLI, ...args('bundle')], minimalEnv(verified.at))
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(ok.stdout, `status 200 ${bundle}\n`)
    const system = await spawnCollect(process.execPath, [CLI, ...args('system')], minimalEnv(verified.at))
    assert.equal(system.code, 3, system.stdout + system.stderr)
    assert.match(
      system.stdout,
      /^error (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER)/,
    )
  })
})
