/** Exit codes of the global `hyops init` contract. */
export const ExitCode = {
  Success: 0,
  Failure: 1,
  Usage: 2,
  ConfigTemplate: 10,
  ConfigInvalid: 11,
  DependencyMissing: 12,
  Remote: 20,
  Secrets: 21,
  Write: 30,
  Cancelled: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface HyopsErrorOptions {
  /** What the operator can do about it; printed after the message. */
  hint?: string
  /** A machine-readable reason (`auth`, `host-key-changed`, `token-exists`, ...) for callers that react to it. */
  reason?: string
  cause?: unknown
}

/**
 * The one error type of hyops: an expected failure with the exit code the contract gives it.
 * Only the base command turns it into output and a process exit code.
 */
export class HyopsError extends Error {
  readonly exitCode: ExitCodeValue
  readonly hint?: string
  readonly reason?: string

  constructor(exitCode: ExitCodeValue, message: string, options: HyopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'HyopsError'
    this.exitCode = exitCode
    this.hint = options.hint
    this.reason = options.reason
  }

  /** The one line printed for the operator. */
  get line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message
  }
}

export const usageError = (message: string, hint?: string) => new HyopsError(ExitCode.Usage, message, {hint})
export const configError = (message: string, hint?: string) => new HyopsError(ExitCode.ConfigInvalid, message, {hint})
export const remoteError = (message: string, hint?: string) => new HyopsError(ExitCode.Remote, message, {hint})
export const secretsError = (message: string, hint?: string) => new HyopsError(ExitCode.Secrets, message, {hint})
export const writeError = (message: string, hint?: string) => new HyopsError(ExitCode.Write, message, {hint})

/** The code and one-line message for anything thrown, expected or not. */
export function describeError(error: unknown): {exitCode: number; message: string; hint?: string} {
  // By shape: a plugin's HyopsError may come from another copy of the SDK.
  if (isHyopsError(error)) return {exitCode: error.exitCode, message: error.message, hint: error.hint}
  const err = error as {name?: string; message?: string; oclif?: {exit?: number}; code?: string; parse?: unknown}
  if (err?.name === 'ExitPromptError' || err?.name === 'AbortPromptError') {
    return {exitCode: ExitCode.Cancelled, message: 'cancelled by the operator'}
  }
  if (err?.parse !== undefined) return {exitCode: ExitCode.Usage, message: oneLine(err.message ?? String(error))}
  if (err?.code === 'EEXIT' && typeof err.oclif?.exit === 'number') return {exitCode: err.oclif.exit, message: ''}
  if (typeof err?.oclif?.exit === 'number') return {exitCode: err.oclif.exit, message: oneLine(err.message ?? '')}
  return {exitCode: ExitCode.Failure, message: oneLine(err?.message ?? String(error))}
}

/** A multi-line message on one line: each line trimmed, blank ones dropped, joined by spaces. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ')
}

/** What `isHyopsError` recognises: a `HyopsError` from this or another copy of the SDK. */
export type HyopsErrorShape = Error & {readonly exitCode: number; readonly hint?: string; readonly reason?: string}

/**
 * True when `error` is a hyops error (and, with `reason`, one with that reason). Checked by shape,
 * not `instanceof`: a plugin may load another copy of the SDK than the core's hooks (the vault)
 * throw from, and their errors must still be recognised.
 */
export function isHyopsError(error: unknown, reason?: string): error is HyopsErrorShape {
  const candidate = error as {name?: unknown; exitCode?: unknown; message?: unknown; reason?: unknown} | undefined
  return (
    candidate?.name === 'HyopsError' &&
    typeof candidate.exitCode === 'number' &&
    typeof candidate.message === 'string' &&
    (reason === undefined || candidate.reason === reason)
  )
}
