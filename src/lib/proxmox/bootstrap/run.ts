// One run of the bootstrap over an open session: the script in, its framed exports out, the new secret handed
// over the moment it arrives, and every failure turned into one exit-20 error.
import {PassThrough} from 'node:stream'

import {ExitCode, HyopsError} from '../../errors.js'
import {Redactor} from '../../runtime/redact.js'
import type {SshSession} from '../../ssh/connection.js'
import {hostStateCause} from '../host/host-state.js'
import {fallbacksOf, type ProxmoxInputs, type RuntimeDiscovery, type TokenMode} from '../types.js'
import {discoveryFromExports} from './exports.js'
import {LineReader, newFrame, OUTPUT_LIMITS, parseFramedLine} from './framing.js'
import {bootstrapInvocation} from './script.js'
import {checkSudo, summarizeStderr} from './stderr.js'

export interface RemoteBootstrapRequest {
  inputs: ProxmoxInputs
  /** keep: never make a token; create: only when missing; rotate: remove and recreate. */
  tokenMode: TokenMode
  /** Read the cluster CA (verified TLS without TLS_CA_FILE). */
  wantCa: boolean
  /** Change nothing on the host, only discover (for --dry-run). */
  readOnly?: boolean
  /** `--enable-snippets=STORAGE`, checked by the script before anything changes. */
  snippetsStorage?: string
  /**
   * Called with a secret the host made as soon as it is read, before any error about the
   * rest of the run is thrown, so that the caller can put it on disk whatever happens next.
   */
  onTokenSecret?: (secret: string) => Promise<void>
  /**
   * Called when a rotation removed the existing token, before any error is thrown: from then
   * on the old secret is dead, even if making the new token failed.
   */
  onTokenRemoved?: () => void
  /** Limit for the whole script; 2 minutes by default. */
  timeoutMs?: number
  /** Stops the script (closes its channel), e.g. on a signal; a secret already read is still kept. */
  stop?: AbortSignal
}

const DEFAULT_TIMEOUT_MS = 120_000
/** How long a script asked to stop may take to reach its next check before its channel is closed. */
const STOP_GRACE_MS = 2000

/**
 * Runs the bootstrap script on the host over an open session (script on stdin to `bash -s`,
 * non-secret inputs as environment assignments) and returns what it found. The token secret
 * travels only from the host, never to it. A token that exists in `create` mode comes back
 * as `tokenExisted: true` without a secret: the caller decides (refuse, or rotate).
 *
 * The output is read as it streams: only lines framed with this run's random tag (sent on stdin, so neither
 * the argv nor a login script sees it) count; a TOKEN_SECRET only in a run that makes a token, only once.
 * The secret is handed to `onTokenSecret` the moment it arrives, and the script goes on only after that
 * resolves (it waits for a "kept" line on its stdin), so a client that dies mid-run never leaves the host
 * further along than its disk. Output past {@link OUTPUT_LIMITS} stops the script (exit 20 `output-too-large`).
 * Failures are HyopsError 20 (`script-failed`, `no-node`, `no-secret`, `bad-ca`, `output-too-large`, or the
 * session's own SSH reasons) whose messages never hold a secret.
 */
export async function runRemoteBootstrap(
  session: SshSession,
  request: RemoteBootstrapRequest,
): Promise<RuntimeDiscovery> {
  const {command, stdin: script} = bootstrapInvocation({
    inputs: request.inputs,
    readOnly: request.readOnly,
    sudo: request.inputs.sshSudo,
    snippetsStorage: request.snippetsStorage,
    tokenMode: request.tokenMode,
    wantCa: request.wantCa,
  })
  const frame = newFrame()
  const makesToken = !request.readOnly && request.tokenMode !== 'keep'
  const exports: Record<string, string> = {}
  const redactor = new Redactor()
  const stdin = new PassThrough()
  const abort = new AbortController()
  let grace: NodeJS.Timeout | undefined
  // Asks the script to stop before its next change (it checks between steps), keeps reading what it still
  // prints (a secret made meanwhile is kept), and closes the channel only if it has not ended in time.
  const stopScript = () => {
    if (grace || abort.signal.aborted) return
    if (!stdin.writableEnded) stdin.write(`stop ${frame}\n`)
    grace = setTimeout(() => abort.abort(), STOP_GRACE_MS)
  }

  let framed = false
  let keeping: Promise<void> | undefined
  let keepError: unknown
  let secret: string | undefined
  const onLine = (line: string) => {
    const found = parseFramedLine(line, frame)
    if (!found) return
    framed = true
    const [name, value] = found
    if (name !== 'TOKEN_SECRET') {
      exports[name] = value
      if (name === 'TOKEN_REMOVED' && value === '1' && !request.readOnly) request.onTokenRemoved?.()
      return
    }

    if (!makesToken || secret !== undefined || value === '') return
    secret = value
    redactor.addSecret(value)
    keeping = (request.onTokenSecret?.(value) ?? Promise.resolve()).then(
      () => void (stdin.writableEnded || stdin.write(`kept ${frame}\n`)),
      (error: unknown) => {
        keepError = error
        stdin.end()
      },
    )
  }

  const reader = new LineReader(onLine, stopScript)
  stdin.write(`HYOPS_FRAME=${frame}\n${script}`)
  if (request.stop?.aborted) stopScript()
  request.stop?.addEventListener('abort', stopScript, {once: true})
  let result
  try {
    result = await session.exec(command, {
      abort: abort.signal,
      keepStdout: false,
      onStdout: (chunk) => reader.push(chunk),
      stdin,
      timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    })
    reader.end()
  } finally {
    clearTimeout(grace)
    request.stop?.removeEventListener('abort', stopScript)
    stdin.end()
    await keeping
  }

  if (keepError !== undefined) throw keepError
  if (reader.overflow) {
    const what =
      reader.overflow === 'line'
        ? `a line longer than ${OUTPUT_LIMITS.lineBytes / 1024} KiB`
        : `more than ${OUTPUT_LIMITS.totalBytes / (1024 * 1024)} MiB of output`
    throw new HyopsError(ExitCode.Remote, `remote bootstrap on ${session.target} printed ${what}; stopped it`, {
      hint: secret
        ? 'the new token secret was kept; find what prints on the host (a login script?) and re-run'
        : 'find what prints on the host (a login script such as ~/.bashrc?) and re-run',
      reason: 'output-too-large',
    })
  }

  // sudo refusing prints before the script starts: no framed line yet.
  if (request.inputs.sshSudo && result.code !== 0 && !framed)
    checkSudo(session.target, request.inputs.sshUsername, result.stderr)
  if (result.code !== 0) {
    const how = result.signal ? `killed by ${result.signal}` : `exit ${result.code}`
    const cause = hostStateCause(result.stderr, request.inputs.sshUsername, request.inputs.userFq)
    throw new HyopsError(
      ExitCode.Remote,
      `remote bootstrap on ${session.target} failed (${how}): ${redactor.redact(summarizeStderr(result.stderr))}`,
      {
        hint: secret
          ? 'the new token secret was kept; fix the cause on the host and re-run'
          : cause && exports.TOKEN_REMOVED !== '1'
            ? cause.hint
            : exports.TOKEN_REMOVED === '1'
              ? 'the old token was removed and its secret no longer works; ' +
                'fix the cause on the host and re-run with --force'
              : 'fix the cause on the Proxmox host and re-run',
        reason: cause?.reason ?? 'script-failed',
      },
    )
  }

  const discovery = discoveryFromExports(
    secret ? {...exports, TOKEN_SECRET: secret} : exports,
    fallbacksOf(request.inputs),
    request.inputs.roleName,
  )
  const mustHaveSecret =
    !request.readOnly && (request.tokenMode === 'rotate' || (request.tokenMode === 'create' && !discovery.tokenExisted))
  if (mustHaveSecret && !discovery.tokenSecret) {
    throw new HyopsError(
      ExitCode.Remote,
      `remote bootstrap on ${session.target} made no token secret for ${request.inputs.tokenId}`,
      {
        hint: "check 'pveum user token add' on the Proxmox host",
        reason: 'no-secret',
      },
    )
  }

  return discovery
}
