import {createHttpClient, type HttpClient, type TlsOptions} from './client.js'
import {describeHttpError, httpStatusFailure} from './errors.js'

export interface TokenCheckOptions {
  /** The URL to GET. */
  url: string
  /** Carries the credential (`Authorization: PVEAPIToken=...`, `Authorization: Bearer ...`). Never put in a message. */
  headers: Record<string, string>
  tls?: TlsOptions
  /** The whole request, connection included, within this time (default 15 s). */
  timeoutMs?: number
  /** Aborts the request: it then fails as `cancelled`. */
  signal?: AbortSignal
  /** A client to reuse (its keep-alive connection, TLS settings and timeout); one is made and closed otherwise. */
  client?: HttpClient
}

/** A 2xx answer. */
export interface TokenCheckAnswer {
  status: number
  data: unknown
}

/**
 * Checks a credential against an API: GETs `url` with `headers` and answers on 2xx. Any other
 * outcome throws an `HttpFailure` (`unauthorized` 401, `forbidden` 403, `status`, `tls`,
 * `unreachable`, `timeout`, `cancelled`), whose message never holds the headers.
 */
export async function validateToken(options: TokenCheckOptions): Promise<TokenCheckAnswer> {
  const client = options.client ?? createHttpClient({timeoutMs: options.timeoutMs, tls: options.tls})
  const timeoutMs = options.timeoutMs ?? client.timeoutMs
  const controller = new AbortController()
  let timedOut = false
  const onAbort = () => controller.abort()
  options.signal?.addEventListener('abort', onAbort, {once: true})
  if (options.signal?.aborted) controller.abort()
  // axios's own timeout watches socket inactivity; this bounds the whole request.
  const deadline = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeoutMs)
  try {
    const response = await client.axios.get(options.url, {headers: options.headers, signal: controller.signal})
    if (response.status < 200 || response.status > 299)
      throw httpStatusFailure(response.status, response.statusText, options.url)
    return {data: response.data as unknown, status: response.status}
  } catch (error) {
    if (timedOut && !options.signal?.aborted) throw describeHttpError({code: 'ECONNABORTED'}, options.url, timeoutMs)
    throw describeHttpError(error, options.url, timeoutMs)
  } finally {
    clearTimeout(deadline)
    options.signal?.removeEventListener('abort', onAbort)
    if (options.client === undefined) client.close()
  }
}
