// The host half of `hyops revoke proxmox`: the revoke script over the one SSH session, its framed lines read as
// they stream, each removal reported the moment the host says it is done.

import {PassThrough} from 'node:stream'

import {ExitCode, HyopsError} from '../../errors.js'
import type {SshSession} from '../../ssh/connection.js'
import {execFramed, LineReader, newFrame, parseFramedLine} from '../bootstrap/framing.js'
import {checkSudo, summarizeStderr} from '../bootstrap/stderr.js'
import {revokeInvocation, type RevokeScriptRequest} from './script.js'

/** What the host removed (each true only once the host said so). */
export interface HostRevokeReport {
  tokenExisted: boolean
  userExisted: boolean
  roleExisted: boolean
  tokenRemoved: boolean
  userRemoved: boolean
  grantRemoved: boolean
  roleRemoved: boolean
  /** How many grants of others still name the role (it was kept). */
  roleKept?: number
  done: boolean
}

export interface HostRevokeRequest extends RevokeScriptRequest {
  /** Called the moment the host says the token is gone (its secret is dead from then on). */
  onTokenRemoved?: () => void
  /** Stops the script before its next removal (a signal). */
  stop?: AbortSignal
  timeoutMs?: number
  /** For messages: the SSH user. */
  sshUsername: string
}

/** Runs the revoke script; throws HyopsError 20 (`revoke-failed`) when it fails, saying what it removed so far. */
export async function revokeOnHost(session: SshSession, request: HostRevokeRequest): Promise<HostRevokeReport> {
  const {command, stdin: script} = revokeInvocation(request)
  const frame = newFrame()
  const report: HostRevokeReport = {
    done: false,
    grantRemoved: false,
    roleExisted: false,
    roleRemoved: false,
    tokenExisted: false,
    tokenRemoved: false,
    userExisted: false,
    userRemoved: false,
  }
  let framed = false
  const onLine = (line: string) => {
    const found = parseFramedLine(line, frame)
    if (!found) return
    framed = true
    const [name, value] = found
    const yes = value === '1'
    if (name === 'TOKEN_EXISTS') report.tokenExisted = yes
    else if (name === 'USER_EXISTS') report.userExisted = yes
    else if (name === 'ROLE_EXISTS') report.roleExisted = yes
    else if (name === 'TOKEN_REMOVED' && yes) {
      report.tokenRemoved = true
      request.onTokenRemoved?.()
    } else if (name === 'USER_REMOVED') report.userRemoved = yes
    else if (name === 'GRANT_REMOVED') report.grantRemoved = yes
    else if (name === 'ROLE_REMOVED') report.roleRemoved = yes
    else if (name === 'ROLE_KEPT') report.roleKept = Number(value)
    else if (name === 'REVOKE_DONE') report.done = yes
  }

  const stdin = new PassThrough()
  const abort = new AbortController()
  const reader = new LineReader(onLine, () => abort.abort())
  const stopScript = () => {
    if (!stdin.writableEnded) stdin.write(`stop ${frame}\n`)
  }

  const result = await execFramed(session, {
    abort: abort.signal,
    command,
    frame,
    reader,
    script,
    stdin,
    stop: request.stop,
    stopScript,
    timeoutMs: request.timeoutMs ?? 120_000,
  })

  if (request.sudo && result.code !== 0 && !framed) checkSudo(session.target, request.sshUsername, result.stderr)
  if (result.code !== 0 || !report.done) {
    const how = result.signal ? `killed by ${result.signal}` : `exit ${result.code}`
    throw new HyopsError(
      ExitCode.Remote,
      `revoke on ${session.target} failed (${how}): ${summarizeStderr(result.stderr)}`,
      {
        hint: report.tokenRemoved
          ? 'the token is gone from the host; fix the cause and run hyops revoke again to finish'
          : 'nothing was removed from the host or this machine; fix the cause and run hyops revoke again',
        reason: 'revoke-failed',
      },
    )
  }

  return report
}
