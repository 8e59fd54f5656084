import axios, {type AxiosInstance} from 'axios'
import {Agent} from 'node:https'

import {trustedRoots} from './roots.js'

export {trustedRoots} from './roots.js'

/** How the server's certificate is checked. */
export interface TlsOptions {
  /** Accept any certificate (Proxmox TLS_SKIP). */
  skipVerify?: boolean
  /** PEM of further CA(s) to trust, added to the system roots (never replacing them). */
  caPem?: string
}

export interface HttpClientOptions {
  tls?: TlsOptions
  /** Per request: connect, send and answer within this time (default 15 s). */
  timeoutMs?: number
  /** Sent with every request (e.g. Authorization); never put in any message. */
  headers?: Record<string, string>
  baseURL?: string
}

/** An axios instance and the agent behind it. */
export interface HttpClient {
  /**
   * Every HTTP status resolves (`validateStatus` accepts all): callers decide what a status
   * means. Network, TLS, timeout and cancel errors reject; map them with `describeHttpError`.
   */
  readonly axios: AxiosInstance
  readonly timeoutMs: number
  /** Closes the kept-alive connections. */
  close(): void
}

/** Answers larger than this are refused: validation never needs big bodies. */
const MAX_BODY_BYTES = 8 * 1024 * 1024

/**
 * An HTTPS client for provider APIs: TLS verified (the system roots plus `caPem`) unless
 * `skipVerify`; keep-alive so consecutive requests share one TLS handshake; a timeout; no
 * redirects (an Authorization header must not follow one); and no proxy from HTTP(S)_PROXY
 * variables, since a lab API is reached directly and axios cannot tunnel HTTPS through an
 * HTTP proxy anyway.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 15_000
  const tls = options.tls ?? {}
  const agent = new Agent({
    ...(tls.skipVerify
      ? {rejectUnauthorized: false}
      : {rejectUnauthorized: true, ...(tls.caPem ? {ca: trustedRoots(tls.caPem)} : {})}),
    keepAlive: true,
    maxSockets: 4,
  })
  const instance = axios.create({
    baseURL: options.baseURL,
    headers: {Accept: 'application/json', 'User-Agent': 'hyops', ...options.headers},
    httpsAgent: agent,
    maxBodyLength: MAX_BODY_BYTES,
    maxContentLength: MAX_BODY_BYTES,
    maxRedirects: 0,
    proxy: false,
    timeout: timeoutMs,
    validateStatus: () => true,
  })
  return {axios: instance, close: () => agent.destroy(), timeoutMs}
}
