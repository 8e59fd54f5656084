import type {Readable} from 'node:stream'

import {NodeSSH} from 'node-ssh'
import type ssh2 from 'ssh2'

import {ExitCode, HyopsError, oneLine} from '../errors.js'
import {type AuthPlan, loadIdentity, planAuth, type SshAgent} from './agent-auth.js'
import {type JumpChain, openJumpChain, type SshJumpHop} from './jump.js'
import type {ConfirmNewHostKey, HostKeyCheck, HostKeyPolicy} from './known-hosts.js'
import {envPrefix} from './shell-quote.js'
import {type HostKeyRules, hostKeyAlgorithmsFor, hostVerifierFor} from './verifier.js'

export {preferHostKeyAlgorithms} from './verifier.js'

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
  /** The private key (PROXMOX_SSH_KEY). Optional when a password, an agent or identityFiles are given. */
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
  /** More private key files (IdentityFile), tried after PROXMOX_SSH_KEY. */
  identityFiles?: string[]
  /** The running ssh-agent; its keys are tried first. */
  agent?: SshAgent
  /** IdentitiesOnly: offer only the agent's keys that belong to the key files. */
  identitiesOnly?: boolean
  /** Asks the passphrase of an encrypted key (at a terminal, hidden); never stored. */
  askPassphrase?: (path: string) => Promise<string>
  /** Jump hosts (ProxyJump), first hop first. */
  jumps?: SshJumpHop[]
  /** The operator's known_hosts files (~/.ssh/known_hosts), trusted read-only. */
  trustedKnownHostsFiles?: string[]
  /** Warnings for the operator (a key readable by others). */
  warn?: (line: string) => void
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

/**
 * Opens one SSH connection (node-ssh over ssh2), through the jump hosts when there are any. Every host key is
 * verified against the known_hosts files under the policy before authentication, which goes in OpenSSH's
 * order: the agent's keys, the key files (a passphrase asked when `askPassphrase` can), the password. Every
 * failure is a one-line HyopsError 20 naming `user@host:port`, with a reason ({@link SshFailureReason}) and
 * the fix.
 */
export async function connectSsh(options: SshConnectOptions): Promise<SshSession> {
  const target = `${options.username}@${options.host}:${options.port}`
  const ssh = new NodeSSH()
  const hops: ssh2.Client[] = []
  const timer = new PausableTimer(options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, () => {
    ssh.connection?.destroy()
    for (const hop of hops) hop.destroy()
  })
  const around = async <T>(ask: () => Promise<T>): Promise<T> => {
    timer.pause()
    try {
      return await ask()
    } finally {
      timer.resume()
    }
  }

  const plan = await authPlanFor(options, target, around)
  const rules: HostKeyRules = {
    confirmNewHostKey: options.confirmNewHostKey,
    hostKeyPolicy: options.hostKeyPolicy,
    knownHostsFile: options.knownHostsFile,
    trustedKnownHostsFiles: options.trustedKnownHostsFiles,
  }
  const verifier = hostVerifierFor(rules, options.host, options.port, around)
  timer.start()
  let chain: JumpChain | undefined
  try {
    if (options.jumps && options.jumps.length > 0) {
      chain = await openJumpChain({
        around,
        askPassphrase: options.askPassphrase,
        hops: options.jumps,
        rules,
        target: {host: options.host, port: options.port},
        track: (client) => hops.push(client),
        warn: options.warn,
      })
    }

    const config: Parameters<NodeSSH['connect']>[0] = {
      ...(chain ? {sock: chain.sock} : {host: options.host, port: options.port}),
      ...(await hostKeyAlgorithmsFor(rules, options.host, options.port)),
      ...(plan.agent ? {agent: plan.agent} : {}),
      authHandler: plan.handler as never,
      hostVerifier: verifier.hostVerifier,
      readyTimeout: 0,
      username: options.username,
    }
    await ssh.connect(config)
  } catch (error) {
    ssh.dispose()
    chain?.close()
    if (verifier.error() !== undefined) throw prefixed(target, verifier.error())
    if (plan.fatal()) throw plan.fatal()
    if (timer.expired)
      throw failure(
        target,
        'timeout',
        `no SSH session within ${timer.ms / 1000} s`,
        'check PROXMOX_IP, PROXMOX_SSH_PORT and any firewall between',
      )
    if (error instanceof HyopsError) throw error
    const mapped = mapConnectError(target, error, options.privateKeyPath)
    if (mapped.reason !== 'auth') throw mapped
    throw failure(target, 'auth', `authentication failed (tried ${plan.tried()})`, mapped.hint ?? '')
  } finally {
    timer.stop()
  }

  if (chain) ssh.connection?.once('close', () => chain.close())
  return new NodeSshSession(
    ssh,
    target,
    verifier.check() ?? {fingerprint: 'unknown', keyType: 'unknown', status: 'unchecked'},
  )
}

/** The key files (PROXMOX_SSH_KEY first, then `identityFiles`), read and planned before any network. */
async function authPlanFor(
  options: SshConnectOptions,
  target: string,
  around: <T>(ask: () => Promise<T>) => Promise<T>,
): Promise<AuthPlan> {
  const paths = [...new Set([options.privateKeyPath, ...(options.identityFiles ?? [])].filter(Boolean))] as string[]
  const identities = await Promise.all(
    paths.map((path) =>
      loadIdentity(
        path,
        target,
        path === options.privateKeyPath ? `PROXMOX_SSH_KEY=${path}` : `IdentityFile ${path}`,
        options.warn,
      ),
    ),
  )
  const passphrase = options.passphrase
  const askPassphrase = passphrase !== undefined ? async () => passphrase : options.askPassphrase
  return planAuth({
    agent: options.agent,
    askPassphrase: askPassphrase ? (path) => around(() => askPassphrase(path)) : undefined,
    identities,
    identitiesOnly: options.identitiesOnly,
    password: options.password,
    target,
    username: options.username,
  })
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
