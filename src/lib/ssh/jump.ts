import type {Duplex} from 'node:stream'

import ssh2 from 'ssh2'

import {ExitCode, HyopsError, oneLine} from '../errors.js'
import {loadIdentity, planAuth, type SshAgent} from './agent-auth.js'
import {type HostKeyRules, hostKeyAlgorithmsFor, hostVerifierFor} from './verifier.js'

/** One jump host (ProxyJump) on the way to the target. */
export interface SshJumpHop {
  host: string
  port: number
  username: string
  /** Key files tried after the agent's keys. */
  identityFiles: string[]
  identitiesOnly?: boolean
  agent?: SshAgent
}

export interface JumpChainOptions {
  hops: SshJumpHop[]
  /** Where the last hop forwards to. */
  target: {host: string; port: number}
  rules: HostKeyRules
  askPassphrase?: (path: string) => Promise<string>
  warn?: (line: string) => void
  /** Wraps what waits for the operator (a prompt), so the caller's timer pauses. */
  around: <T>(ask: () => Promise<T>) => Promise<T>
  /** Called with each hop's client as it is made, so a timer can destroy it. */
  track: (client: ssh2.Client) => void
}

/** The tunnel to the target: a stream for ssh2's `sock`, and the hops' connections to close with it. */
export interface JumpChain {
  sock: Duplex
  /** `user@host:port` of each hop, for messages. */
  via: string[]
  close(): void
}

/**
 * Connects to each jump host in turn, each through the channel the previous one forwarded (`direct-tcpip`),
 * with its host key checked by the same rules and recorded in the same known_hosts file, and returns the
 * channel to the target. Failures are exit 20 naming the hop.
 */
export async function openJumpChain(options: JumpChainOptions): Promise<JumpChain> {
  const clients: ssh2.Client[] = []
  const close = () => {
    for (const client of clients.reverse()) client.end()
  }

  const via: string[] = []
  let sock: Duplex | undefined
  try {
    for (const [index, hop] of options.hops.entries()) {
      const target = `${hop.username}@${hop.host}:${hop.port} (jump host ${index + 1} of ${options.hops.length})`
      via.push(`${hop.username}@${hop.host}:${hop.port}`)
      const client = await connectHop(hop, target, sock, options)
      clients.push(client)
      const next = options.hops[index + 1] ?? options.target
      sock = await forward(client, next, target)
    }
  } catch (error) {
    close()
    throw error
  }

  return {close, sock: sock!, via}
}

async function connectHop(
  hop: SshJumpHop,
  target: string,
  sock: Duplex | undefined,
  options: JumpChainOptions,
): Promise<ssh2.Client> {
  const identities = await Promise.all(
    hop.identityFiles.map((path) => loadIdentity(path, target, `IdentityFile ${path}`, options.warn)),
  )
  const plan = planAuth({
    agent: hop.agent,
    askPassphrase: options.askPassphrase ? (path) => options.around(() => options.askPassphrase!(path)) : undefined,
    identities,
    identitiesOnly: hop.identitiesOnly,
    target,
    username: hop.username,
  })
  const verifier = hostVerifierFor(options.rules, hop.host, hop.port, options.around)
  const client = new ssh2.Client()
  options.track(client)
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve())
    client.once('error', (error: Error & {level?: string}) => {
      client.end()
      if (verifier.error() !== undefined) return reject(prefixed(target, verifier.error()))
      if (plan.fatal()) return reject(plan.fatal())
      if (error.level === 'client-authentication') {
        return reject(
          hopFailure(
            target,
            'auth',
            `authentication failed (tried ${plan.tried()})`,
            "authorize your key in the jump host's ~/.ssh/authorized_keys, or fix its User or IdentityFile " +
              'in ~/.ssh/config',
          ),
        )
      }

      reject(hopFailure(target, 'handshake', `SSH failed: ${oneLine(error.message)}`, 'check the ProxyJump host'))
    })
    client.once('close', () => reject(hopFailure(target, 'closed', 'the connection closed', 'check the jump host')))
    hostKeyAlgorithmsFor(options.rules, hop.host, hop.port).then((algorithms) =>
      client.connect({
        ...(sock ? {sock} : {host: hop.host, port: hop.port}),
        ...algorithms,
        ...(plan.agent ? {agent: plan.agent} : {}),
        authHandler: plan.handler as never,
        hostVerifier: verifier.hostVerifier,
        readyTimeout: 0,
        username: hop.username,
      }),
    )
  })
  client.on('error', () => {})
  return client
}

function forward(client: ssh2.Client, next: {host: string; port: number}, target: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.host, next.port, (error, channel) => {
      if (error) {
        reject(
          hopFailure(
            target,
            'jump-forward',
            `cannot open a channel to ${next.host}:${next.port}: ${oneLine(error.message)}`,
            `check that the jump host allows TCP forwarding (AllowTcpForwarding) and reaches ${next.host}`,
          ),
        )
        return
      }

      resolve(channel)
    })
  })
}

function hopFailure(target: string, reason: string, what: string, fix: string): HyopsError {
  return new HyopsError(ExitCode.Remote, `SSH to ${target}: ${what}`, {hint: fix, reason})
}

function prefixed(target: string, error: unknown): HyopsError {
  if (!(error instanceof HyopsError)) return hopFailure(target, 'handshake', String(error), 'check the jump host')
  return new HyopsError(error.exitCode, `SSH to ${target}: ${error.message}`, {
    cause: error,
    hint: error.hint,
    reason: error.reason,
  })
}
