import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import ssh2 from 'ssh2'

import {
  connectSsh,
  mapConnectError,
  preferHostKeyAlgorithms,
  type SshConnectOptions,
} from '../../../src/lib/ssh/connection.js'
import {type PveSim, startPveSim} from '../../fixtures/pve-sim/index.js'
import {rejectsWithReason} from '../../helpers/errors.js'

/** A TCP port nobody listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('SSH connection (against the simulated Proxmox host)', () => {
  let sim: PveSim
  let dir: string
  let silent: Server
  const silentSockets = new Set<Socket>()
  let silentPort: number
  let n = 0
  const options = (overrides: Partial<SshConnectOptions> = {}): SshConnectOptions => ({
    host: sim.host,
    hostKeyPolicy: 'accept-new',
    knownHostsFile: join(dir, `known_hosts_${++n}`),
    port: sim.sshPort,
    privateKeyPath: sim.clientKey.privateKeyPath,
    username: 'root',
    ...overrides,
  })

  before(async () => {
    sim = await startPveSim()
    dir = await mkdtemp(join(tmpdir(), 'hyops-ssh-'))
    // Accepts TCP and never says a word: an SSH handshake that cannot finish.
    silent = createServer((socket) => {
      silentSockets.add(socket)
      socket.on('close', () => silentSockets.delete(socket))
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    silentPort = (silent.address() as {port: number}).port
  })
  after(async () => {
    for (const socket of silentSockets) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
    await sim.stop()
    await rm(dir, {force: true, recursive: true})
  })

  it('connects with the key, records the host key on first contact, knows it the second time', async () => {
    const opts = options()
    const first = await connectSsh(opts)
    try {
      assert.equal(first.target, `root@127.0.0.1:${sim.sshPort}`)
      assert.deepEqual(first.hostKey, {
        fingerprint: sim.hostKeyFingerprint,
        keyType: 'ssh-ed25519',
        line: 1,
        status: 'recorded',
      })
    } finally {
      first.dispose()
    }

    const text = await readFile(opts.knownHostsFile, 'utf8')
    assert.match(text, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sim.sshPort} ssh-ed25519 [A-Za-z0-9+/]+=*\\n$`))
    assert.equal((await stat(opts.knownHostsFile)).mode & 0o777, 0o600)
    const second = await connectSsh(opts)
    second.dispose()
    assert.equal(second.hostKey.status, 'known')
    assert.equal(await readFile(opts.knownHostsFile, 'utf8'), text)
  })

  it('runs commands: stdout, stderr, exit code, stdin and quoted environment', async () => {
    const session = await connectSsh(options())
    try {
      const plain = await session.exec('echo out; echo err >&2; exit 3')
      assert.deepEqual(plain, {code: 3, stderr: 'err\n', stdout: 'out\n'})
      const piped = await session.exec(`bash -c 'cat; printf "[%s]" "$GREETING"'`, {
        env: {GREETING: "it's $HOME `x`"},
        stdin: 'from stdin ü\n',
      })
      assert.equal(piped.code, 0)
      assert.equal(piped.stdout, "from stdin ü\n[it's $HOME `x`]")
      const big = await session.exec(`perl -e 'print "\\xc3\\xa9" x 150001'`)
      assert.equal(big.stdout.length, 150001)
      assert.ok(/^é+$/.test(big.stdout), 'multi-byte characters split across chunks stay whole')
      // The stdin payload never shows up in the command line the host saw.
      const commands = await sim.execCommands()
      assert.ok(commands.some((c) => c.startsWith('env GREETING=')))
      assert.ok(!commands.some((c) => c.includes('from stdin')))
    } finally {
      session.dispose()
    }
  })

  it('stops a command that runs longer than its timeout', async () => {
    const session = await connectSsh(options())
    try {
      const started = Date.now()
      await rejectsWithReason(session.exec('sleep 5', {timeoutMs: 200}), 'timeout')
      assert.ok(Date.now() - started < 3000)
    } finally {
      session.dispose()
    }

    await rejectsWithReason(session.exec('true'), 'connection-lost')
  })

  it('fails on a changed host key with both fingerprints and the line to remove', async () => {
    const opts = options()
    ;(await connectSsh(opts)).dispose()
    await sim.updateState((state) => {
      state.faults.host_key_changed = true
    })
    try {
      await rejectsWithReason(connectSsh(opts), 'host-key-changed', (error) => {
        assert.ok(error.message.includes(sim.hostKeyFingerprint), error.message)
        assert.ok(error.message.includes(sim.changedHostKeyFingerprint), error.message)
        assert.ok(error.message.includes(`root@127.0.0.1:${sim.sshPort}`), error.message)
        assert.ok(error.hint?.includes(`line 1 of ${opts.knownHostsFile}`), error.hint)
      })
      // off connects anyway and leaves the file alone
      const before = await readFile(opts.knownHostsFile, 'utf8')
      const session = await connectSsh({...opts, hostKeyPolicy: 'off'})
      session.dispose()
      assert.equal(session.hostKey.status, 'unchecked')
      assert.equal(await readFile(opts.knownHostsFile, 'utf8'), before)
    } finally {
      await sim.updateState((state) => {
        state.faults.host_key_changed = false
      })
    }
  })

  it('strict refuses an unknown host; a declined host key is not recorded', async () => {
    const strict = options({hostKeyPolicy: 'strict'})
    await rejectsWithReason(connectSsh(strict), 'host-key-unknown')
    await assert.rejects(stat(strict.knownHostsFile), {code: 'ENOENT'})
    const asked: string[] = []
    const declined = options({
      confirmNewHostKey: async (fingerprint) => {
        asked.push(fingerprint)
        return false
      },
    })
    await rejectsWithReason(connectSsh(declined), 'host-key-rejected')
    assert.deepEqual(asked, [sim.hostKeyFingerprint])
    await assert.rejects(stat(declined.knownHostsFile), {code: 'ENOENT'})
  })

  it('does not count the time the operator takes to answer against the ready timeout', async () => {
    const session = await connectSsh(
      options({
        confirmNewHostKey: async () => {
          await new Promise((resolve) => setTimeout(resolve, 600))
          return true
        },
        readyTimeoutMs: 400,
      }),
    )
    session.dispose()
    assert.equal(session.hostKey.status, 'recorded')
  })

  it('maps a refused key to auth, naming the target and the key', async () => {
    await sim.updateState((state) => {
      state.faults.ssh_refuse_key = true
    })
    try {
      await rejectsWithReason(connectSsh(options()), 'auth', (error) => {
        assert.ok(error.message.includes(`root@127.0.0.1:${sim.sshPort}`))
        assert.ok(error.message.includes(sim.clientKey.privateKeyPath))
        assert.match(error.hint ?? '', /authorized_keys/)
      })
    } finally {
      await sim.updateState((state) => {
        state.faults.ssh_refuse_key = false
      })
    }

    await rejectsWithReason(connectSsh(options({username: 'nobody'})), 'auth')
  })

  it('authenticates with a password when asked to', async () => {
    const {root_password: password} = await sim.readState()
    const session = await connectSsh(options({password, privateKeyPath: undefined}))
    try {
      assert.equal((await session.exec('echo ok')).stdout, 'ok\n')
    } finally {
      session.dispose()
    }

    await rejectsWithReason(connectSsh(options({password: 'wrong', privateKeyPath: undefined})), 'auth')
  })

  it('names PROXMOX_SSH_KEY when the key is missing, unreadable, encrypted or not a key', async () => {
    const missing = join(dir, 'no-such-key')
    await rejectsWithReason(connectSsh(options({privateKeyPath: missing})), 'key-missing', (error) => {
      assert.ok(error.message.includes(`PROXMOX_SSH_KEY=${missing}`))
      assert.match(error.message, /does not exist/)
    })
    await rejectsWithReason(connectSsh(options({privateKeyPath: dir})), 'key-missing', (error) =>
      assert.match(error.message, /is a directory/),
    )

    const encrypted = join(dir, 'encrypted_key')
    const pair = ssh2.utils.generateKeyPairSync('ed25519', {
      cipher: 'aes256-ctr',
      passphrase: 'correct horse',
      rounds: 4,
    })
    await writeFile(encrypted, pair.private, {mode: 0o600})
    await rejectsWithReason(connectSsh(options({privateKeyPath: encrypted})), 'key-encrypted', (error) => {
      assert.match(error.message, /passphrase/)
      assert.ok(error.message.includes(encrypted))
    })
    await rejectsWithReason(
      connectSsh(options({passphrase: 'wrong', privateKeyPath: encrypted})),
      'key-encrypted',
      (error) => assert.match(error.message, /does not open/),
    )
    // The right passphrase opens it; the host does not know the key, so authentication fails.
    await rejectsWithReason(connectSsh(options({passphrase: 'correct horse', privateKeyPath: encrypted})), 'auth')

    const garbage = join(dir, 'not_a_key')
    await writeFile(garbage, 'hello\n')
    await rejectsWithReason(connectSsh(options({privateKeyPath: garbage})), 'key-invalid')
  })

  it('maps a closed port to refused and a silent server to timeout', async () => {
    const port = await closedPort()
    await rejectsWithReason(connectSsh(options({port})), 'refused', (error) => {
      assert.ok(error.message.includes(`root@127.0.0.1:${port}`))
      assert.match(error.hint ?? '', /PROXMOX_SSH_PORT/)
    })
    const started = Date.now()
    await rejectsWithReason(connectSsh(options({port: silentPort, readyTimeoutMs: 300})), 'timeout')
    assert.ok(Date.now() - started < 3000)
  })

  it('offers the host key algorithms on record first', async () => {
    assert.deepEqual(preferHostKeyAlgorithms(['ssh-rsa']).slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'])
    assert.equal(preferHostKeyAlgorithms(['ecdsa-sha2-nistp256'])[0], 'ecdsa-sha2-nistp256')
    assert.equal(preferHostKeyAlgorithms(['ecdsa-sha2-nistp256']).length, 7)
    assert.equal(preferHostKeyAlgorithms(['ssh-unknown'])[0], 'ssh-ed25519')
  })

  it('maps network errors by code', () => {
    const target = 'root@pve.lab:22'
    const cases: Array<[object, string]> = [
      [{code: 'ECONNREFUSED'}, 'refused'],
      [{code: 'ENOTFOUND'}, 'unreachable'],
      [{code: 'EHOSTUNREACH'}, 'unreachable'],
      [{code: 'ENETUNREACH'}, 'unreachable'],
      [{code: 'ETIMEDOUT', message: 'connect ETIMEDOUT'}, 'timeout'],
      [{level: 'client-timeout', message: 'Timed out while waiting for handshake'}, 'timeout'],
      [{level: 'client-authentication', message: 'All configured authentication methods failed'}, 'auth'],
      [{code: 'ETIMEDOUT', message: 'No response from server'}, 'closed'],
      [{level: 'protocol', message: 'Bad identification start\nmore'}, 'handshake'],
    ]
    for (const [error, reason] of cases) {
      const mapped = mapConnectError(
        target,
        Object.assign(new Error((error as {message?: string}).message ?? 'x'), error),
      )
      assert.equal(mapped.reason, reason, JSON.stringify(error))
      assert.equal(mapped.exitCode, 20)
      assert.ok(mapped.message.startsWith(`SSH to ${target}: `))
      assert.doesNotMatch(mapped.line, /\n/)
      assert.ok(mapped.hint)
    }
  })
})
