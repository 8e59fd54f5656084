// The provider account's node piece (`account.sh`, after the bootstrap's `lib.sh`) and the framed session that
// runs it on one node: the same framing as the bootstrap (a random tag sent on stdin, only tagged lines count).
import {readFileSync} from 'node:fs'

import {ExitCode, HyopsError} from '../../errors.js'
import type {SshSession} from '../../ssh/connection.js'
import {envPrefix, shellQuote} from '../../ssh/shell-quote.js'
import {LineReader, newFrame, parseFramedLine} from '../bootstrap/framing.js'
import {summarizeStderr} from '../bootstrap/stderr.js'

/** The pieces, in the order they are sent: the bootstrap's helpers (die, emit), then the account's own. */
export const ACCOUNT_PIECES = [
  new URL('../bootstrap/sh/lib.sh', import.meta.url),
  new URL('account.sh', import.meta.url),
]

export const ACCOUNT_SCRIPT = ACCOUNT_PIECES.map((piece) => readFileSync(piece, 'utf8')).join('\n')

/** `check` changes nothing; `apply` makes or keeps the account; `remove` takes it away. */
export type AccountMode = 'check' | 'apply' | 'remove'

export interface AccountScriptRequest {
  account: string
  mode: AccountMode
  /** The account's public key line (apply). */
  publicKey?: string
  /** Also the sudo rules bpg's container idmap needs. */
  idmap?: boolean
  /** check: also report the host keys the cluster records for its nodes. */
  hostKeys?: boolean
  /** The operator is not root: run through `sudo -n bash -s`, the inputs exported at the top of the script. */
  sudo?: boolean
}

/** The script's environment: nothing secret (the public key is public). */
export function accountEnv(request: AccountScriptRequest): Record<string, string> {
  return {
    ACCOUNT: request.account,
    ACCOUNT_MODE: request.mode,
    ...(request.publicKey ? {ACCOUNT_KEY: request.publicKey} : {}),
    WANT_HOST_KEYS: request.hostKeys ? '1' : '0',
    WANT_IDMAP: request.idmap ? '1' : '0',
  }
}

/** What runs on the node and what goes on its stdin (as the bootstrap: env assignments, or exports under sudo). */
export function accountInvocation(request: AccountScriptRequest): {command: string; stdin: string} {
  const env = accountEnv(request)
  if (!request.sudo) return {command: `${envPrefix(env)} bash -s`, stdin: ACCOUNT_SCRIPT}
  const exports = Object.entries(env)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
    .join('\n')
  return {command: 'sudo -n bash -s', stdin: `${exports}\n${ACCOUNT_SCRIPT}`}
}

/** The framed values one run of the piece reported, and how it ended. */
export interface AccountScriptResult {
  exports: Record<string, string>
  code: number
  stderr: string
}

const TIMEOUT_MS = 60_000

/** Runs the piece once on an open session and collects its framed values (output bounded as the bootstrap's). */
export async function runAccountScript(
  session: SshSession,
  request: AccountScriptRequest,
): Promise<AccountScriptResult> {
  const {command, stdin} = accountInvocation(request)
  const frame = newFrame()
  const exports: Record<string, string> = {}
  let overflow = false
  const reader = new LineReader(
    (line) => {
      const found = parseFramedLine(line, frame)
      if (found) exports[found[0]] = found[1]
    },
    () => void (overflow = true),
  )
  const result = await session.exec(command, {
    keepStdout: false,
    onStdout: (chunk) => reader.push(chunk),
    stdin: `HYOPS_FRAME=${frame}\n${stdin}`,
    timeoutMs: TIMEOUT_MS,
  })
  reader.end()
  if (overflow) {
    throw new HyopsError(
      ExitCode.Remote,
      `the provider account step on ${session.target} printed too much; stopped it`,
      {
        hint: 'find what prints on the node (a login script such as ~/.bashrc?) and re-run',
        reason: 'output-too-large',
      },
    )
  }

  return {code: result.code, exports, stderr: result.stderr}
}

/** The piece's failure on a node in one line, with the fix its own message names. */
export function accountScriptError(node: string, mode: AccountMode, result: AccountScriptResult): HyopsError {
  const why = summarizeStderr(result.stderr)
  if (result.exports.SUDO_MISSING === '1') {
    return new HyopsError(ExitCode.Remote, `sudo is not installed on node ${node}; nothing was changed there`, {
      hint: `install it on ${node} with 'apt install sudo', then re-run`,
      reason: 'sudo-missing',
    })
  }

  const what = mode === 'remove' ? 'removing' : mode === 'check' ? 'checking' : 'making'
  return new HyopsError(ExitCode.Remote, `${what} the provider SSH account on node ${node} failed: ${why}`, {
    hint: 'fix the cause on that node and re-run',
    reason: 'account-failed',
  })
}
