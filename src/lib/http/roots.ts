// The CA roots a verified connection trusts (no axios here: loaded at startup by the API address probe).
import {rootCertificates} from 'node:tls'

import {CA_FILE_MAX_BYTES, readUserFileSync} from '../runtime/user-file.js'

/**
 * The roots Node trusts by default (its bundled store and NODE_EXTRA_CA_CERTS) plus `extra`:
 * giving `ca` to an agent replaces the defaults, so they are listed again.
 */
export function trustedRoots(extra: string): string[] {
  const roots = [...rootCertificates]
  const extraFile = process.env.NODE_EXTRA_CA_CERTS
  if (extraFile) {
    try {
      roots.push(readUserFileSync(extraFile, {maxBytes: CA_FILE_MAX_BYTES}).toString('utf8'))
    } catch {
      // Node warns about an unreadable NODE_EXTRA_CA_CERTS itself at start-up.
    }
  }

  roots.push(extra)
  return roots
}
