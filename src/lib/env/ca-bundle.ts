import {X509Certificate} from 'node:crypto'
import {join} from 'node:path'
import {rootCertificates} from 'node:tls'

import {ExitCode, HyopsError} from '../errors.js'
import {makePrivateDir, type RuntimeLayout} from '../runtime/layout.js'
import {writeFileSafely} from '../runtime/safe-write.js'
import {CA_FILE_MAX_BYTES, readUserText} from '../runtime/user-file.js'

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** `<root>/state/<target>-ca-bundle.pem`. */
export function caBundleFile(layout: RuntimeLayout, target: string): string {
  return join(layout.dir('state'), `${target}-ca-bundle.pem`)
}

/** The PEM certificates of a text, each as one block. */
export function pemCertificates(pem: string): string[] {
  return pem.match(PEM_BLOCK) ?? []
}

let systemFingerprints: Set<string> | undefined

/** True when every certificate of `pem` is one of Node's root certificates (the system trusts it already). */
export function systemTrusts(pem: string): boolean {
  systemFingerprints ??= new Set(rootCertificates.map((cert) => new X509Certificate(cert).fingerprint256))
  const certificates = pemCertificates(pem)
  return certificates.length > 0 && certificates.every((cert) => systemFingerprints!.has(fingerprint(cert)))
}

function fingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint256
  } catch {
    throw new HyopsError(ExitCode.ConfigInvalid, 'the CA of the target holds a certificate that does not parse', {
      hint: 'give a PEM CA certificate (TLS_CA_FILE), or run init again to save the cluster CA',
    })
  }
}

/** The bundle's text: Node's root certificates (the system's roots), then the target's CA. */
export function caBundleText(caPem: string): string {
  return [...rootCertificates, ...pemCertificates(caPem)].join('\n') + '\n'
}

/**
 * Writes the bundle for a target (mode 0644: certificates are public; atomically, and only
 * when its content changes) and returns its path. With `write: false` only the path.
 */
export async function ensureCaBundle(
  layout: RuntimeLayout,
  target: string,
  caPem: string,
  options: {write: boolean},
): Promise<string> {
  const path = caBundleFile(layout, target)
  if (!options.write) return path
  const text = caBundleText(caPem)
  const current = await readUserText(path, {maxBytes: CA_FILE_MAX_BYTES}).catch(() => undefined)
  if (current !== text) {
    await makePrivateDir(layout.dir('state'))
    await writeFileSafely(path, text, {mode: 0o644})
  }

  return path
}
