import {ExitCode, HyopsError} from '../../errors.js'
import type {HttpFailure} from '../../http/errors.js'
import type {MarkerDiscovery, VerifiedPrivileges} from '../types.js'
import {type PrivilegePromise, verifyPrivileges} from '../permissions/verify.js'

type HttpStack = [
  typeof import('../../http/client.js'),
  typeof import('../../http/errors.js'),
  typeof import('../../http/token-check.js'),
]
let httpStack: Promise<HttpStack> | undefined

// axios and what it pulls in take ~60-100 ms to load: loaded on first use, not at startup.
function loadHttpStack(): Promise<HttpStack> {
  httpStack ??= Promise.all([
    import('../../http/client.js'),
    import('../../http/errors.js'),
    import('../../http/token-check.js'),
  ])
  return httpStack
}

/**
 * Starts loading the HTTP client in the background (e.g. while the remote bootstrap runs on
 * the host), so that the validation that follows does not wait for it.
 */
export function preloadProxmoxValidation(): void {
  loadHttpStack().catch(() => {})
}

export interface ProxmoxTokenCheck {
  /** `https://<api ip>:<port>/api2/json` (see `proxmoxUrl`). */
  apiUrl: string
  /** `user@realm!name`. */
  tokenId: string
  /** The token secret; never in a message. */
  secret: string
  node: string
  /** The storage whose content list the token must read (the snippets storage). */
  storage: string
  tlsSkip: boolean
  /** PEM of the CA to verify against when `tlsSkip` is false (TLS_CA_FILE or the cluster CA). */
  caPem?: string
  /** The host serves a certificate of its own (uploaded or ACME), not one signed by the cluster CA. */
  ownCertificate?: boolean
  /** Per request (default 15 s). */
  timeoutMs?: number
  /** Cancels the check (e.g. once another candidate token won): fails with reason `cancelled`. */
  signal?: AbortSignal
  /** Also prove the token holds its profile's privileges where this runtime needs them. */
  privileges?: PrivilegePromise & {
    runtime: Pick<MarkerDiscovery, 'bridge' | 'storageIso' | 'storageSnippets' | 'storageVm'>
  }
}

/** What a successful check learnt. */
export interface ProxmoxTokenCheckResult {
  /** The Proxmox VE version the API reported, when it did. */
  version?: string
  /** The privileges proved, when the check was asked to prove them. */
  verified?: VerifiedPrivileges
}

/**
 * Proves a token works: `GET <apiUrl>/version`, then `GET <apiUrl>/nodes/<node>/storage/<storage>/content`,
 * with `Authorization: PVEAPIToken=<tokenId>=<secret>` over one kept-alive connection; with `privileges`,
 * then its effective privileges ({@link verifyPrivileges}).
 * Every failure is exit 21 with reason `token-rejected` (401), `token-forbidden` (403),
 * `privileges-missing`, `tls`, `unreachable` (also no answer in time), `api-error` (another status),
 * `cancelled` or `invalid-secret`.
 */
export async function validateProxmoxToken(check: ProxmoxTokenCheck): Promise<ProxmoxTokenCheckResult> {
  // A header value with whitespace or control characters would be refused by Node with an
  // error naming the header; say what is wrong without showing the value.
  if (!/^[\x21-\x7e]+$/.test(check.secret)) {
    throw new HyopsError(
      ExitCode.Secrets,
      `the secret of token ${check.tokenId} is not a Proxmox token secret (empty, or holds ` +
        `spaces or control characters)`,
      {
        hint: 'fix PROXMOX_TOKEN_SECRET in the vault, or re-run with --force to rotate the token',
        reason: 'invalid-secret',
      },
    )
  }

  const [{createHttpClient}, {HttpFailure: Failure}, {validateToken}] = await loadHttpStack()
  const base = check.apiUrl.replace(/\/+$/, '')
  const client = createHttpClient({tls: {caPem: check.caPem, skipVerify: check.tlsSkip}, timeoutMs: check.timeoutMs})
  const headers = {Authorization: `PVEAPIToken=${check.tokenId}=${check.secret}`}
  const storagePath = `/nodes/${encodeURIComponent(check.node)}/storage/${encodeURIComponent(check.storage)}/content`
  try {
    let version: string | undefined
    try {
      const answer = await validateToken({client, headers, signal: check.signal, url: `${base}/version`})
      const data = (answer.data as {data?: {version?: unknown}} | undefined)?.data
      version = typeof data?.version === 'string' ? data.version : undefined
    } catch (error) {
      throw proxmoxFailure(error instanceof Failure ? error : undefined, check, '/version')
    }

    try {
      await validateToken({client, headers, signal: check.signal, url: `${base}${storagePath}`})
    } catch (error) {
      throw proxmoxFailure(error instanceof Failure ? error : undefined, check, storagePath)
    }

    const result: ProxmoxTokenCheckResult = version === undefined ? {} : {version}
    if (check.privileges) {
      const get = async (apiPath: string) => {
        try {
          const answer = await validateToken({client, headers, signal: check.signal, url: `${base}${apiPath}`})
          return (answer.data as {data?: unknown} | undefined)?.data
        } catch (error) {
          throw proxmoxFailure(error instanceof Failure ? error : undefined, check, apiPath.replace(/\?.*/, ''))
        }
      }

      result.verified = await verifyPrivileges(get, check.privileges, check.privileges.runtime)
    }

    return result
  } finally {
    client.close()
  }
}

function proxmoxFailure(failure: HttpFailure | undefined, check: ProxmoxTokenCheck, path: string): HyopsError {
  const make = (message: string, reason: string, hint?: string) =>
    new HyopsError(ExitCode.Secrets, message, {hint, reason})
  switch (failure?.kind) {
    case 'unauthorized': {
      return make(
        `Proxmox rejected the token ${check.tokenId} (401)`,
        'token-rejected',
        'the secret does not match the token on the host, or the token was removed: re-run with --force to rotate it',
      )
    }

    case 'forbidden': {
      const what = path.includes('/storage/') ? `on /storage/${check.storage}` : `to read ${path}`
      return make(
        `token ${check.tokenId} lacks permission ${what} (403)`,
        'token-forbidden',
        `grant the token a role on /storage/${check.storage} with pveum acl modify, or re-run with ` +
          `--force to rotate it and grant its ACLs again`,
      )
    }

    case 'tls': {
      const against = check.caPem ? 'the system CAs and the cluster/given CA' : 'the system CAs'
      return make(
        `TLS verification of ${failure.url} against ${against} failed (${failure.detailWithCode})`,
        'tls',
        tlsHint(failure, check),
      )
    }

    case 'unreachable':
    case 'timeout': {
      return make(
        `cannot validate token ${check.tokenId}: ${failure.message}`,
        'unreachable',
        'check PROXMOX_API_PORT and that this machine can reach the Proxmox API',
      )
    }

    case 'cancelled': {
      return make(`validation of token ${check.tokenId} was cancelled`, 'cancelled')
    }

    case 'status': {
      const hint =
        path === '/version'
          ? 'check the API URL (PROXMOX_IP, PROXMOX_API_PORT)'
          : `check that node ${check.node} has storage ${check.storage} (FALLBACK_STORAGE_SNIPPETS)`
      return make(`Proxmox API answered ${failure.detail} for ${failure.url}`, 'api-error', hint)
    }

    default: {
      return make(`cannot validate token ${check.tokenId}: ${failure?.message ?? 'unexpected error'}`, 'api-error')
    }
  }
}

/** The hint for a TLS failure, naming its likely cause. */
function tlsHint(failure: HttpFailure, check: ProxmoxTokenCheck): string {
  if (failure.code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return (
      `the API certificate does not name the address in ${check.apiUrl}: set PROXMOX_API_HOST to a name the ` +
      'certificate carries (e.g. the DNS name of an ACME certificate), or TLS_SKIP = true'
    )
  if (check.ownCertificate)
    return (
      'the host serves its own certificate (/etc/pve/local/pveproxy-ssl.pem, uploaded or ACME), not one ' +
      "signed by the cluster CA: add its issuer to this machine's trust store (or NODE_EXTRA_CA_CERTS), or set " +
      'TLS_CA_FILE to that issuer, or TLS_SKIP = true'
    )
  return (
    'the host serves the certificate signed by its cluster CA: set TLS_CA_FILE to a copy of ' +
    '/etc/pve/pve-root-ca.pem, or TLS_SKIP = true to skip verification'
  )
}
