import type {ServerHostKeyAlgorithm} from 'ssh2'

import {
  type ConfirmNewHostKey,
  type HostKeyCheck,
  type HostKeyPolicy,
  knownKeyTypes,
  verifyHostKey,
} from './known-hosts.js'

/** How every host of a connection (jump hosts and the target) has its host key checked. */
export interface HostKeyRules {
  /** `<root>/state/known_hosts`, where new keys are recorded. */
  knownHostsFile: string
  hostKeyPolicy: HostKeyPolicy
  /** The operator's known_hosts files, trusted read-only. */
  trustedKnownHostsFiles?: string[]
  confirmNewHostKey?: ConfirmNewHostKey
}

/** A `hostVerifier` for ssh2, and what it concluded. */
export interface HostVerifier {
  hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => undefined
  check(): HostKeyCheck | undefined
  error(): unknown
}

/**
 * The host key check of one host under the rules; `around` wraps the operator's confirmation (to pause a
 * connection timer while the question is on screen).
 */
export function hostVerifierFor(
  rules: HostKeyRules,
  host: string,
  port: number,
  around: <T>(ask: () => Promise<T>) => Promise<T> = (ask) => ask(),
): HostVerifier {
  let check: HostKeyCheck | undefined
  let failure: unknown
  const confirm = rules.confirmNewHostKey
  return {
    check: () => check,
    error: () => failure,
    hostVerifier: (key, verify) => {
      verifyHostKey({
        confirmNewHostKey: confirm ? (fingerprint, details) => around(() => confirm(fingerprint, details)) : undefined,
        host,
        key,
        knownHostsFile: rules.knownHostsFile,
        policy: rules.hostKeyPolicy,
        port,
        trustedFiles: rules.trustedKnownHostsFiles,
      }).then(
        (result) => {
          check = result
          verify(true)
        },
        (error: unknown) => {
          failure = error
          verify(false)
        },
      )
      return undefined
    },
  }
}

const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]

/** ssh2's `algorithms` option offering the host key types known for the host first (as OpenSSH does). */
export async function hostKeyAlgorithmsFor(
  rules: HostKeyRules,
  host: string,
  port: number,
): Promise<{algorithms?: {serverHostKey: ServerHostKeyAlgorithm[]}}> {
  if (rules.hostKeyPolicy === 'off') return {}
  const known = await knownKeyTypes(rules.knownHostsFile, host, port, rules.trustedKnownHostsFiles)
  return known.length > 0 ? {algorithms: {serverHostKey: preferHostKeyAlgorithms(known)}} : {}
}

export function preferHostKeyAlgorithms(knownTypes: string[]): ServerHostKeyAlgorithm[] {
  const first: ServerHostKeyAlgorithm[] = []
  for (const type of knownTypes) {
    const algorithms = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]
    for (const algorithm of HOST_KEY_ALGORITHMS)
      if (algorithms.includes(algorithm) && !first.includes(algorithm)) first.push(algorithm)
  }

  return [...first, ...HOST_KEY_ALGORITHMS.filter((algorithm) => !first.includes(algorithm))]
}
