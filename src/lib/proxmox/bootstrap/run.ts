import {randomBytes} from 'node:crypto'
import {PassThrough} from 'node:stream'

import {ExitCode, HyopsError} from '../../errors.js'
import {Redactor} from '../../runtime/redact.js'
import type {SshSession} from '../../ssh/connection.js'
import {bootstrapInvocation, SUDO_BOOTSTRAP_COMMAND} from './script.js'
import {hostStateCause} from '../host/host-state.js'
import {clusterNodesFrom} from '../host/members.js'
import type {DiscoverySource, ProxmoxInputs, RoleReport, RuntimeDiscovery, TokenMode} from '../types.js'

/** The inputs the discovery falls back on. */
export type DiscoveryFallbacks = Pick<
  ProxmoxInputs,
  'host' | 'fallbackStorageVm' | 'fallbackStorageIso' | 'fallbackStorageSnippets' | 'fallbackBridge'
> &
  Partial<Pick<ProxmoxInputs, 'roleName'>>

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
/** Bounds on what the host may print: a real bootstrap prints a few KB (the CA is the longest line). */
export const OUTPUT_LIMITS = {lineBytes: 256 * 1024, totalBytes: 16 * 1024 * 1024}
const NAME = /^[A-Z][A-Z0-9_]*$/

/** A fresh per-run tag: only lines carrying it are the script's values. */
export function newFrame(): string {
  return randomBytes(16).toString('hex')
}

/** The value of one framed line `EXPORT:<frame>:NAME=VALUE`, or undefined for any other line. */
export function parseFramedLine(raw: string, frame: string): [string, string] | undefined {
  const line = raw.replace(/\r$/, '')
  const prefix = `EXPORT:${frame}:`
  if (!line.startsWith(prefix)) return undefined
  const rest = line.slice(prefix.length)
  const eq = rest.indexOf('=')
  if (eq <= 0 || !NAME.test(rest.slice(0, eq))) return undefined
  return [rest.slice(0, eq), rest.slice(eq + 1)]
}

/** The framed `EXPORT:<frame>:NAME=VALUE` lines of the script's stdout (a later line wins); others are ignored. */
export function parseExports(stdout: string, frame: string): Record<string, string> {
  const exports: Record<string, string> = {}
  for (const raw of stdout.split('\n')) {
    const found = parseFramedLine(raw, frame)
    if (found) exports[found[0]] = found[1]
  }

  return exports
}

/**
 * Splits a byte stream into lines as it arrives, within bounds: `onLine` gets each whole line; past the
 * line or total bound, `onOverflow` is called once and the rest is dropped.
 */
export class LineReader {
  private partial: Buffer[] = []
  private partialBytes = 0
  private total = 0
  /** Dropping the rest of a line that passed the line bound. */
  private skipping = false
  overflow?: 'line' | 'total'

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
    private readonly limits = OUTPUT_LIMITS,
  ) {}

  /**
   * Past a bound the output is refused (`onOverflow`, once), but lines that still arrive are read, one at a
   * time within the line bound, so that a secret the host prints while it is being stopped is not lost.
   */
  push(chunk: Buffer): void {
    this.total += chunk.length
    if (this.total > this.limits.totalBytes) this.stop('total')
    let start = 0
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.take(chunk.subarray(start, nl))
      if (!this.skipping) this.onLine(Buffer.concat(this.partial).toString('utf8'))
      this.partial = []
      this.partialBytes = 0
      this.skipping = false
      start = nl + 1
    }

    if (start < chunk.length) this.take(chunk.subarray(start))
  }

  /** The last line when the output did not end with a newline. */
  end(): void {
    if (!this.skipping && this.partialBytes > 0) this.onLine(Buffer.concat(this.partial).toString('utf8'))
    this.partial = []
    this.partialBytes = 0
  }

  private take(part: Buffer): void {
    if (this.skipping) return
    this.partial.push(part)
    this.partialBytes += part.length
    if (this.partialBytes <= this.limits.lineBytes) return
    this.partial = []
    this.partialBytes = 0
    this.skipping = true
    this.stop('line')
  }

  private stop(why: 'line' | 'total'): void {
    if (this.overflow) return
    this.overflow = why
    this.onOverflow()
  }
}

/**
 * Turns the script's exports into a {@link RuntimeDiscovery}: a value the host did not return
 * falls back on its input with source `fallback`; the API IP falls back on the SSH host, as
 * does a loopback address reported by a host reached at a non-loopback address.
 * Throws HyopsError 20 `no-node` without `NODE`, `bad-ca` when the CA is not a PEM certificate.
 */
export function discoveryFromExports(exports: Record<string, string>, inputs: DiscoveryFallbacks): RuntimeDiscovery {
  const node = exports.NODE?.trim()
  if (!node) {
    throw new HyopsError(ExitCode.Remote, 'the remote bootstrap did not report the node name (no EXPORT:NODE line)', {
      hint: "check that 'hostname' works on the Proxmox host",
      reason: 'no-node',
    })
  }

  const pick = (name: string, fallback: string): [string, DiscoverySource] => {
    const value = exports[name]?.trim()
    if (!value) return [fallback, 'fallback']
    return [value, exports[`${name}_SOURCE`] === 'detected' ? 'detected' : 'fallback']
  }

  const [storageVm, storageVmSource] = pick('STORAGE_VM', inputs.fallbackStorageVm)
  const [storageIso, storageIsoSource] = pick('STORAGE_ISO', inputs.fallbackStorageIso)
  const [storageSnippets, storageSnippetsSource] = pick('STORAGE_SNIPPETS', inputs.fallbackStorageSnippets)
  const [bridge, bridgeSource] = pick('BRIDGE', inputs.fallbackBridge)
  const reportedIp = exports.IP?.trim()
  const apiIp = reportedIp && !(isLoopback(reportedIp) && !isLoopback(inputs.host)) ? reportedIp : inputs.host
  const discovery: RuntimeDiscovery = {
    apiIp,
    bridge,
    bridgeSource,
    node,
    storageIso,
    storageIsoSource,
    storageSnippets,
    storageSnippetsSource,
    storageVm,
    storageVmSource,
    tokenExisted: exports.TOKEN_EXISTS === '1',
  }
  if (exports.TOKEN_SECRET) discovery.tokenSecret = exports.TOKEN_SECRET
  if (exports.CA_PEM_B64) discovery.caPem = decodeCa(exports.CA_PEM_B64)
  if (reportedIp) discovery.reportedIp = reportedIp
  if (exports.OWN_CERT !== undefined) discovery.ownCertificate = exports.OWN_CERT === '1'
  if (exports.BRIDGE_FALLBACK_STATE && bridgeSource === 'fallback')
    discovery.bridgeFallbackState = exports.BRIDGE_FALLBACK_STATE
  if (exports.FILE_STORAGES !== undefined) discovery.fileStorages = fileStorages(exports.FILE_STORAGES)
  if (exports.SNIPPETS_CANDIDATE && storageSnippetsSource === 'fallback')
    discovery.snippetsCandidate = exports.SNIPPETS_CANDIDATE
  const nodes = exports.MEMBERS_B64 ? clusterNodesFrom(exports.MEMBERS_B64, node, reportedIp) : undefined
  if (nodes) discovery.clusterNodes = nodes
  const role = roleReport(exports, inputs.roleName)
  if (role) discovery.role = role
  return discovery
}

const ROLE_ACTIONS = new Set(['created', 'updated', 'kept'])

/** ROLE_ACTION, ROLE_PRIVS_SET, ROLE_SKIPPED, GRANT_ACTION and LEGACY_REMOVED → a {@link RoleReport}. */
function roleReport(exports: Record<string, string>, role: string | undefined): RoleReport | undefined {
  const action = exports.ROLE_ACTION
  if (action === undefined || !ROLE_ACTIONS.has(action) || role === undefined) return undefined
  const list = (text: string | undefined, separator: RegExp) => (text ?? '').split(separator).filter(Boolean)
  return {
    action: action as RoleReport['action'],
    grant: exports.GRANT_ACTION === 'granted' ? 'granted' : 'kept',
    legacyRemoved: list(exports.LEGACY_REMOVED, /\s+/),
    privileges: list(exports.ROLE_PRIVS_SET, /,/),
    role,
    skipped: list(exports.ROLE_SKIPPED, /,/),
  }
}

/** `id=type,type id=type` (FILE_STORAGES) → id → content types. */
function fileStorages(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const at = word.indexOf('=')
    if (at > 0)
      out[word.slice(0, at)] = word
        .slice(at + 1)
        .split(',')
        .filter(Boolean)
  }

  return out
}

function decodeCa(base64: string): string {
  const pem = Buffer.from(base64, 'base64').toString('utf8')
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem)) {
    throw new HyopsError(
      ExitCode.Remote,
      'the cluster CA read from the host (pve-root-ca.pem) is not a PEM certificate',
      {
        hint: 'set TLS_CA_FILE to the CA file, or TLS_SKIP=true',
        reason: 'bad-ca',
      },
    )
  }

  return pem
}

/** Whether an address or name is the local machine (127/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

/**
 * The script's failure in one line: its last stderr line and, when that is the script's own
 * `hyops-bootstrap:` message, the line before it (what the failing command said).
 */
export function summarizeStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const last = lines.at(-1)
  if (last === undefined) return 'no error output'
  const own = /^hyops-bootstrap:\s*/
  if (!own.test(last)) return clip(last)
  const message = last.replace(own, '')
  const cause = lines.at(-2)
  return clip(cause && !own.test(cause) ? `${message}: ${cause}` : message)
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 297)}...` : text
}

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

  const discovery = discoveryFromExports(secret ? {...exports, TOKEN_SECRET: secret} : exports, request.inputs)
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

const SUDO_REFUSED = new RegExp(
  [
    '^sudo: (?:a password is required|a terminal is required)$',
    '^sudo: .*(?:not allowed|not in the sudoers|may not run sudo).*$',
    '^Sorry, user .* is not allowed to execute.*$',
    '^.*is not in the sudoers file.*$',
    '^.*sudo: (?:command )?not found.*$',
  ].join('|'),
  'm',
)

/** Exit 20 `sudo-refused` when sudo, not the bootstrap, said no: the fix is a sudoers rule on the host. */
export function checkSudo(target: string, user: string, stderr: string): void {
  const line = SUDO_REFUSED.exec(stderr)?.[0]
  if (line === undefined) return
  const rule = `${user} ALL=(root) NOPASSWD: /usr/bin/bash -s`
  throw new HyopsError(
    ExitCode.Remote,
    `sudo on ${target} refused to run the bootstrap (${SUDO_BOOTSTRAP_COMMAND}): ${clip(line.trim())}`,
    {
      hint:
        `as root on the host, add the sudoers rule "${rule}" (echo '${rule}' > /etc/sudoers.d/hyops; ` +
        'chmod 440 /etc/sudoers.d/hyops; visudo -c), or connect as root with PROXMOX_SSH_SUDO=false',
      reason: 'sudo-refused',
    },
  )
}
