import {isAxiosError, isCancel} from 'axios'

/**
 * What went wrong with an HTTP request: `unauthorized` 401, `forbidden` 403, `status` any
 * other non-2xx answer, `tls` certificate or handshake failure, `unreachable` no connection,
 * `timeout` no answer in time, `cancelled` aborted by the caller, `other` anything else.
 */
export type HttpFailureKind =
  'cancelled' | 'forbidden' | 'other' | 'status' | 'timeout' | 'tls' | 'unauthorized' | 'unreachable'

/**
 * A failed HTTP request as a value. It keeps no reference to the request, its headers or
 * the axios error (whose config holds the Authorization header), so logging it cannot leak
 * a credential; its URL has no query and no user info.
 */
export class HttpFailure extends Error {
  readonly kind: HttpFailureKind
  /** The URL, without query string or credentials. */
  readonly url: string
  readonly status?: number
  /** The system or TLS error code (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, ...). */
  readonly code?: string
  /** A short cause without the URL ("connection refused", "self-signed certificate", "403 Forbidden"). */
  readonly detail: string

  constructor(kind: HttpFailureKind, url: string, detail: string, extra: {code?: string; status?: number} = {}) {
    super(failureMessage(kind, url, detail, extra.code))
    this.name = 'HttpFailure'
    this.kind = kind
    this.url = url
    this.detail = detail
    this.code = extra.code
    this.status = extra.status
  }

  /**
   * `detail`, then the code when the detail does not name it already
   * (`self-signed certificate, DEPTH_ZERO_SELF_SIGNED_CERT`).
   */
  get detailWithCode(): string {
    return detailWithCode(this.detail, this.code)
  }
}

function detailWithCode(detail: string, code: string | undefined): string {
  return code && !detail.includes(code) ? `${detail}, ${code}` : detail
}

function failureMessage(kind: HttpFailureKind, url: string, detail: string, code?: string): string {
  const withCode = detailWithCode(detail, code)
  switch (kind) {
    case 'cancelled': {
      return `request to ${url} was cancelled`
    }

    case 'timeout': {
      return `no answer from ${url} in time (${withCode})`
    }

    case 'tls': {
      return `TLS verification of ${url} failed (${withCode})`
    }

    case 'unreachable': {
      return `cannot reach ${url} (${withCode})`
    }

    case 'forbidden':
    case 'status':
    case 'unauthorized': {
      return `${url} answered ${detail}`
    }

    default: {
      return `request to ${url} failed (${withCode})`
    }
  }
}

const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not yet valid',
  CERT_REJECTED: 'the certificate was rejected',
  CERT_SIGNATURE_FAILURE: 'the certificate signature does not verify',
  CERT_UNTRUSTED: 'the certificate is not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  EPROTO: 'TLS handshake failed',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is not issued for this host name or address',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_GET_ISSUER_CERT: 'the certificate issuer is unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate issuer is unknown',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not signed by a trusted CA',
}

const UNREACHABLE_REASONS: Record<string, string> = {
  EAI_AGAIN: 'name lookup failed (temporary)',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTDOWN: 'host is down',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'unknown host name',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'connection timed out',
}

/** True for Node's TLS and certificate error codes. */
export function isTlsErrorCode(code: string | undefined): boolean {
  if (code === undefined) return false
  return (
    code in TLS_REASONS ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('CERT_') ||
    code.includes('_CERT')
  )
}

/** The failure for a non-2xx answer. */
export function httpStatusFailure(status: number, statusText: string | undefined, url: string): HttpFailure {
  const text = (statusText ?? '')
    .replace(/[\r\n]+/g, ' ')
    .trim()
    .slice(0, 120)
  const detail = text ? `${status} ${text}` : String(status)
  const kind: HttpFailureKind = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'status'
  return new HttpFailure(kind, safeUrl(url), detail, {status})
}

/**
 * Maps anything a request threw (axios errors, Node system errors, aborts) to an
 * `HttpFailure`. `url` is the requested URL; `timeoutMs` is named in timeout messages.
 */
export function describeHttpError(error: unknown, url: string, timeoutMs?: number): HttpFailure {
  if (error instanceof HttpFailure) return error
  const where = safeUrl(url)
  if (isCancel(error) || (error as Error)?.name === 'AbortError')
    return new HttpFailure('cancelled', where, 'cancelled')
  if (isAxiosError(error) && error.response)
    return httpStatusFailure(error.response.status, error.response.statusText, url)
  const code = errorCode(error)
  const within = timeoutMs === undefined ? 'timed out' : `${timeoutMs} ms`
  if (code === 'ECONNABORTED' || (code === 'ETIMEDOUT' && isAxiosError(error) && /timeout/i.test(error.message))) {
    return new HttpFailure('timeout', where, within, {code: 'ETIMEDOUT'})
  }

  if (code !== undefined && isTlsErrorCode(code))
    return new HttpFailure('tls', where, TLS_REASONS[code] ?? 'TLS error', {code})
  if (code !== undefined && UNREACHABLE_REASONS[code])
    return new HttpFailure('unreachable', where, UNREACHABLE_REASONS[code], {code})
  if (code === 'ERR_INVALID_CHAR' || code === 'ERR_HTTP_INVALID_HEADER_VALUE')
    return new HttpFailure('other', where, 'a request header holds an invalid character', {code})
  return new HttpFailure('other', where, code ?? 'unexpected error', {code})
}

/** The first error code found on the error, its cause chain, or an AggregateError's errors. */
function errorCode(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== 'object' || depth > 5) return undefined
  const err = error as {code?: unknown; cause?: unknown; errors?: unknown}
  if (typeof err.code === 'string' && err.code !== 'ERR_BAD_REQUEST' && err.code !== 'ERR_BAD_RESPONSE') return err.code
  if (Array.isArray(err.errors)) {
    for (const inner of err.errors) {
      const code = errorCode(inner, depth + 1)
      if (code) return code
    }
  }

  const fromCause = errorCode(err.cause, depth + 1)
  return fromCause ?? (typeof err.code === 'string' ? err.code : undefined)
}

/** The URL without query, fragment or user info, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    parsed.search = ''
    parsed.hash = ''
    return parsed.toString()
  } catch {
    return '(invalid URL)'
  }
}
