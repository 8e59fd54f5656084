import {readFile} from 'node:fs/promises'
import type {Readable} from 'node:stream'

import {NodeSSH} from 'node-ssh'
import ssh2, {type ServerHostKeyAlgorithm} from 'ssh2'

import {ExitCode, HyopsError, oneLine} from '../errors.js'
import {
  type ConfirmNewHostKey,
  type HostKeyCheck,
  type HostKeyPolicy,
  knownKeyTypes,
  verifyHostKey,
} from './known-hosts.js'
import {envPrefix} from './shell-quote.js'

/** Why an SSH connection or command failed; the `reason` of the HyopsError (exit 20). */
export type SshFailureReason =
  | 'auth'
  | 'closed'
  | 'connection-lost'
  | 'exec-failed'
  | 'handshake'
  | 'host-key-changed'
  | 'host-key-rejected'
  | 'host-key-revoked'
  | 'host-key-unknown'
  | 'key-encrypted'
  | 'key-invalid'
  | 'key-missing'
  | 'refused'
  | 'timeout'
  | 'unreachable'

export interface SshConnectOptions {
  host: string
  port: number
  username: string
  /** The private key (PROXMOX_SSH_KEY). Optional only when a password is given. */
  privateKeyPath?: string
  /** Decrypts a passphrase-protected private key. */
  passphrase?: string
  /** Password authentication, tried after the key. */
  password?: string
  /** `<root>/state/known_hosts`. */
  knownHostsFile: string
  hostKeyPolicy: HostKeyPolicy
  /** Asked before an unknown host key is recorded (accept-new only); false fails the connection. */
  confirmNewHostKey?: ConfirmNewHostKey
  /**
   * Time allowed for TCP connect, handshake and authentication; 20 s by default. Paused while the operator is
   * asked about a host key.
   */
  readyTimeoutMs?: number
}

export interface SshExecOptions {
  /**
   * Written to the process's stdin, which is then closed (a stream: piped, closed when it ends). The place for
   * anything secret or long.
   */
  stdin?: string | Readable
  /** Called with each stdout chunk as it arrives (the result still holds the whole stdout unless `keepStdout`). */
  onStdout?: (chunk: Buffer) => void
  /** false: stdout is only given to `onStdout`, not collected in the result (a bound on memory). */
  keepStdout?: boolean
  /**
   * Non-secret variables for the command's first program, sent as `env NAME='value' <command>`
   * (wrap a compound command in `bash -c`). Visible in the host's process list: never a secret.
   */
  env?: Record<string, string>
  /** Kills the command (closes its channel) after this long; no limit by default. */
  timeoutMs?: number
  /** Closes the command's channel when aborted (the result then comes back as a signal-less exit). */
  abort?: AbortSignal
}

const STDERR_KEEP_BYTES = 1 << 20

export interface SshExecResult {
  /** The exit code; 255 when the process died of a signal or gave none. */
  code: number
  signal?: string
  stdout: string
  stderr: string
}

/** One open SSH connection. */
export interface SshSession {
  /** `user@host:port`, for messages. */
  readonly target: string
  /** How the host key was checked. */
  readonly hostKey: HostKeyCheck
  /** Runs one command and collects its output; a non-zero exit is a result, not an error. */
  exec(command: string, options?: SshExecOptions): Promise<SshExecResult>
  /** Closes the connection; safe to call twice. */
  dispose(): void
}

const DEFAULT_READY_TIMEOUT_MS = 20_000

const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]

/**
 * Opens one SSH connection (node-ssh over ssh2). The host key is verified against the
 * known_hosts file under the policy before authentication; every failure is a one-line
 * HyopsError 20 naming `user@host:port`, with a reason ({@link SshFailureReason}) and the fix.
 */
export async function connectSsh(options: SshConnectOptions): Promise<SshSession> {
  const target = `${options.username}@${options.host}:${options.port}`
  const privateKey =
    options.privateKeyPath === undefined
      ? undefined
      : await loadPrivateKey(options.privateKeyPath, target, options.passphrase)
  if (privateKey === undefined && options.password === undefined) {
    throw failure(
      target,
      'key-missing',
      'no private key (PROXMOX_SSH_KEY) and no password to authenticate with',
      'set PROXMOX_SSH_KEY',
    )
  }

  const ssh = new NodeSSH()
  const timer = new PausableTimer(options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, () => ssh.connection?.destroy())
  let hostKey: HostKeyCheck | undefined
  let hostKeyError: unknown

  const preferred =
    options.hostKeyPolicy === 'off' ? [] : await knownKeyTypes(options.knownHostsFile, options.host, options.port)
  const config: Parameters<NodeSSH['connect']>[0] = {
    host: options.host,
    port: options.port,
    username: options.username,
    readyTimeout: 0,
    ...(privateKey === undefined
      ? {}
      : {privateKey, ...(options.passphrase === undefined ? {} : {passphrase: options.passphrase})}),
    ...(options.password === undefined ? {} : {password: options.password}),
    ...(preferred.length > 0 ? {algorithms: {serverHostKey: preferHostKeyAlgorithms(preferred)}} : {}),
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void): undefined => {
      const confirm: ConfirmNewHostKey | undefined = options.confirmNewHostKey
        ? async (fingerprint, details) => {
            timer.pause()
            try {
              return await options.confirmNewHostKey!(fingerprint, details)
            } finally {
              timer.resume()
            }
          }
        : undefined
      verifyHostKey({
        confirmNewHostKey: confirm,
        host: options.host,
        key,
        knownHostsFile: options.knownHostsFile,
        policy: options.hostKeyPolicy,
        port: options.port,
      }).then(
        (check) => {
          hostKey = check
          verify(true)
        },
        (error: unknown) => {
          hostKeyError = error
          verify(false)
        },
      )
      return undefined
    },
  }

  timer.start()
  try {
    await ssh.connect(config)
  } catch (error) {
    ssh.dispose()
    if (hostKeyError !== undefined) throw prefixed(target, hostKeyError)
    if (timer.expired)
      throw failure(
        target,
        'timeout',
        `no SSH session within ${timer.ms / 1000} s`,
        'check PROXMOX_IP, PROXMOX_SSH_PORT and any firewall between',
      )
    throw mapConnectError(target, error, options.privateKeyPath)
  } finally {
    timer.stop()
  }

  return new NodeSshSession(ssh, target, hostKey ?? {fingerprint: 'unknown', keyType: 'unknown', status: 'unchecked'})
}

class NodeSshSession implements SshSession {
  private lastError: Error | undefined
  private disposed = false

  constructor(
    private readonly ssh: NodeSSH,
    readonly target: string,
    readonly hostKey: HostKeyCheck,
  ) {
    // Without a listener a late socket error (the host going away) would crash the process.
    ssh.connection?.on('error', (error: Error) => {
      this.lastError = error
    })
  }

  async exec(command: string, options: SshExecOptions = {}): Promise<SshExecResult> {
    if (this.disposed || !this.ssh.isConnected()) {
      throw failure(this.target, 'connection-lost', 'the SSH connection is closed', 'run the command again')
    }

    const line = options.env && Object.keys(options.env).length > 0 ? `${envPrefix(options.env)} ${command}` : command
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let stderrBytes = 0
    let timedOut = false
    let timer: NodeJS.Timeout | undefined
    let result
    try {
      result = await this.ssh.execCommand(line, {
        noTrim: true,
        onChannel: (channel) => {
          if (options.abort?.aborted) channel.close()
          options.abort?.addEventListener('abort', () => channel.close(), {once: true})
          if (options.timeoutMs !== undefined) {
            timer = setTimeout(() => {
              timedOut = true
              channel.close()
            }, options.timeoutMs)
          }
        },
        onStderr: (chunk) => {
          stderr.push(chunk)
          stderrBytes += chunk.length
          while (stderrBytes > STDERR_KEEP_BYTES && stderr.length > 1) stderrBytes -= stderr.shift()!.length
        },
        onStdout: (chunk) => {
          if (options.keepStdout !== false) stdout.push(chunk)
          options.onStdout?.(chunk)
        },
        ...(options.stdin === undefined ? {} : {stdin: options.stdin}),
      })
    } catch (error) {
      throw failure(
        this.target,
        'exec-failed',
        `cannot start a command: ${(error as Error).message}`,
        'check that the SSH user may run commands (no forced command, a valid shell)',
      )
    } finally {
      clearTimeout(timer)
    }

    if (timedOut)
      throw failure(
        this.target,
        'timeout',
        `the remote command ran longer than ${options.timeoutMs! / 1000} s`,
        'check the host for a hung process',
      )
    if (result.code === null && !result.signal && (this.lastError || !this.ssh.isConnected())) {
      const why = this.lastError ? `: ${oneLine(this.lastError.message)}` : ''
      throw failure(
        this.target,
        'connection-lost',
        `the connection broke during a command${why}`,
        'check the network and run the command again',
      )
    }

    return {
      code: result.code ?? 255,
      ...(result.signal ? {signal: result.signal} : {}),
      stderr: Buffer.concat(stderr).toString('utf8'),
      stdout: Buffer.concat(stdout).toString('utf8'),
    }
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.ssh.dispose()
  }
}

/** Reads and parses the private key so that a missing, unreadable or encrypted key gets its own message. */
async function loadPrivateKey(path: string, target: string, passphrase?: string): Promise<string> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const what =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code ?? (error as Error).message})`
    throw failure(
      target,
      'key-missing',
      `the private key PROXMOX_SSH_KEY=${path} ${what}`,
      'point PROXMOX_SSH_KEY (or --ssh-key) at a readable private key',
    )
  }

  const parsed = ssh2.utils.parseKey(text, passphrase)
  if (parsed instanceof Error) {
    if (/encrypted|passphrase/i.test(parsed.message)) {
      const why = passphrase === undefined ? 'is protected by a passphrase' : 'does not open with the passphrase given'
      throw failure(
        target,
        'key-encrypted',
        `the private key PROXMOX_SSH_KEY=${path} ${why}`,
        'use a key without a passphrase for automation, or give its passphrase',
      )
    }

    throw failure(
      target,
      'key-invalid',
      `PROXMOX_SSH_KEY=${path} is not a private key ssh2 can read (${parsed.message})`,
      'use an OpenSSH or PEM private key (ed25519, ecdsa or rsa)',
    )
  }

  return text
}

/** `serverHostKey` with the algorithms of the types known for the host first. */
export function preferHostKeyAlgorithms(knownTypes: string[]): ServerHostKeyAlgorithm[] {
  const first: ServerHostKeyAlgorithm[] = []
  for (const type of knownTypes) {
    const algorithms = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]
    for (const algorithm of HOST_KEY_ALGORITHMS)
      if (algorithms.includes(algorithm) && !first.includes(algorithm)) first.push(algorithm)
  }

  return [...first, ...HOST_KEY_ALGORITHMS.filter((algorithm) => !first.includes(algorithm))]
}

/** Maps what ssh2/node-ssh throw while connecting to a HyopsError 20 with a reason. */
export function mapConnectError(target: string, error: unknown, keyPath?: string): HyopsError {
  if (error instanceof HyopsError) return error
  const err = error as {code?: string; level?: string; message?: string}
  const message = err?.message ?? String(error)
  const code = err?.code
  if (code === 'ECONNREFUSED')
    return failure(
      target,
      'refused',
      'connection refused',
      'check that sshd runs on the host and PROXMOX_SSH_PORT is right',
    )
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return failure(target, 'unreachable', 'the host name does not resolve', 'check PROXMOX_IP')
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL')
    return failure(target, 'unreachable', 'no route to the host', 'check PROXMOX_IP and the network')
  if (code === 'ETIMEDOUT' && !/No response from server/.test(message))
    return failure(
      target,
      'timeout',
      'the connection timed out',
      'check PROXMOX_IP, PROXMOX_SSH_PORT and any firewall between',
    )
  if (err?.level === 'client-timeout')
    return failure(target, 'timeout', 'the SSH handshake timed out', 'check that PROXMOX_SSH_PORT is an SSH server')
  if (err?.level === 'client-authentication' || /All configured authentication methods failed/.test(message)) {
    const key = keyPath ? ` with the key ${keyPath}` : ''
    return failure(
      target,
      'auth',
      `authentication failed${key}`,
      "add its public key to the SSH user's ~/.ssh/authorized_keys on the host, or fix " +
        'PROXMOX_SSH_USERNAME / PROXMOX_SSH_KEY',
    )
  }

  if (code === 'ECONNRESET' || /No response from server/.test(message)) {
    return failure(
      target,
      'closed',
      'the server closed the connection before the session was ready',
      "check the host's sshd logs (MaxStartups, AllowUsers, a firewall)",
    )
  }

  return failure(
    target,
    'handshake',
    `SSH failed: ${oneLine(message)}`,
    "check that PROXMOX_IP and PROXMOX_SSH_PORT reach the Proxmox host's sshd",
  )
}

function failure(target: string, reason: SshFailureReason, what: string, fix: string): HyopsError {
  return new HyopsError(ExitCode.Remote, `SSH to ${target}: ${what}`, {hint: fix, reason})
}

function prefixed(target: string, error: unknown): HyopsError {
  if (!(error instanceof HyopsError)) return mapConnectError(target, error)
  return new HyopsError(error.exitCode, `SSH to ${target}: ${error.message}`, {
    cause: error,
    hint: error.hint,
    reason: error.reason,
  })
}

/** A one-shot timer that can be paused (while a prompt waits for the operator). */
class PausableTimer {
  expired = false
  private handle: NodeJS.Timeout | undefined
  private remaining: number
  private startedAt = 0
  private stopped = false

  constructor(
    readonly ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms
  }

  start(): void {
    if (this.ms <= 0 || this.stopped) return
    this.startedAt = Date.now()
    this.handle = setTimeout(() => {
      this.expired = true
      this.onExpire()
    }, this.remaining)
  }

  pause(): void {
    if (this.handle === undefined) return
    clearTimeout(this.handle)
    this.handle = undefined
    this.remaining = Math.max(1, this.remaining - (Date.now() - this.startedAt))
  }

  resume(): void {
    if (this.handle === undefined && !this.expired) this.start()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.handle)
    this.handle = undefined
  }
}
