import {rootCertificates} from 'node:tls'

import {
  CA_FILE_MAX_BYTES,
  configError,
  ExitCode,
  HttpFailure,
  HyopsError,
  readUserText,
  unreadableReason,
  validateToken,
} from 'hyops'

/** Where the Hetzner Cloud API is and how to trust it. */
export interface HetznerApiTarget {
  /** `HCLOUD_API`, without a trailing slash. */
  apiUrl: string
  /** `HCLOUD_CA_FILE`: PEM CAs trusted besides the system ones. */
  caFile?: string
  timeoutMs?: number
}

/** What a successful validation learned (nothing secret). */
export interface TokenValidation {
  url: string
  status: number
  /** Servers the token can see on the first page. */
  servers: number
}

/** The URL validation asks: `<HCLOUD_API>/v1/servers`. */
export function serversUrl(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/v1/servers`
}

/**
 * `GET <HCLOUD_API>/v1/servers` with `Authorization: Bearer <token>`, through the core's
 * `validateToken`. Success is a 2xx answer that looks like the Hetzner API. Everything else is
 * exit 20 naming the URL; a token the API refuses (401/403) has the reason `token-rejected`,
 * so a caller may ask for another one.
 */
export async function validateHetznerToken(token: string, target: HetznerApiTarget): Promise<TokenValidation> {
  const url = serversUrl(target.apiUrl)
  // The core's caPem replaces the system roots; HCLOUD_CA_FILE adds to them.
  const caPem = target.caFile ? [...rootCertificates, await readCaFile(target.caFile)].join('\n') : undefined
  let answer
  try {
    answer = await validateToken({
      headers: {Authorization: `Bearer ${token}`},
      timeoutMs: target.timeoutMs,
      tls: {caPem},
      url,
    })
  } catch (error) {
    throw asHyopsError(url, error)
  }

  const servers = (answer.data as {servers?: unknown} | undefined)?.servers
  if (!Array.isArray(servers)) {
    throw new HyopsError(
      ExitCode.Remote,
      `${url} answered ${answer.status} but not like the Hetzner API (no servers list)`,
      {hint: 'check HCLOUD_API', reason: 'api-error'},
    )
  }

  return {servers: servers.length, status: answer.status, url}
}

async function readCaFile(path: string): Promise<string> {
  let pem: string
  try {
    pem = await readUserText(path, {maxBytes: CA_FILE_MAX_BYTES})
  } catch (error) {
    throw configError(`cannot read HCLOUD_CA_FILE ${path}: ${unreadableReason(error)}`, 'give a readable PEM file')
  }

  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw configError(`HCLOUD_CA_FILE ${path} holds no PEM certificate`, 'give a PEM CA bundle')
  return pem
}

/** The core's HTTP failure kinds, in the words of this target (all exit 20). */
function asHyopsError(url: string, error: unknown): unknown {
  if (!(error instanceof HttpFailure)) return error
  switch (error.kind) {
    case 'unauthorized':
    case 'forbidden': {
      const what =
        error.kind === 'unauthorized'
          ? `rejected the token (${error.detail})`
          : `refused the token access to the servers (${error.detail})`
      return new HyopsError(ExitCode.Remote, `the Hetzner API at ${url} ${what}`, {
        hint:
          'create a token with read access in the Hetzner Cloud console (project → Security → API ' +
          'tokens) and give it again',
        reason: 'token-rejected',
      })
    }

    case 'status': {
      return new HyopsError(ExitCode.Remote, `the Hetzner API at ${url} answered ${error.detail}`, {
        hint: 'check HCLOUD_API and retry later',
        reason: 'api-error',
      })
    }

    case 'tls': {
      return new HyopsError(ExitCode.Remote, `TLS verification failed for ${url} (${error.detailWithCode})`, {
        hint: 'the certificate is not trusted: fix HCLOUD_API, or set HCLOUD_CA_FILE to the CA that signed it',
        reason: 'tls',
      })
    }

    case 'timeout': {
      return new HyopsError(ExitCode.Remote, `no answer from the Hetzner API at ${url} within ${error.detail}`, {
        hint: 'check HCLOUD_API and the network',
        reason: 'unreachable',
      })
    }

    default: {
      return new HyopsError(ExitCode.Remote, `cannot reach the Hetzner API at ${url}: ${error.detailWithCode}`, {
        hint: 'check HCLOUD_API and the network',
        reason: 'unreachable',
      })
    }
  }
}
