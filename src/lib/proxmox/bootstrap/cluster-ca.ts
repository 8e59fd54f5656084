import {join} from 'node:path'

import type {RuntimeLayout} from '../../runtime/layout.js'
import {CA_FILE_MAX_BYTES, readUserText} from '../../runtime/user-file.js'

/**
 * `<root>/state/proxmox-ca.pem`: the cluster CA a bootstrap read from the host, for verified
 * TLS without TLS_CA_FILE.
 */
export function clusterCaFile(layout: RuntimeLayout): string {
  return join(layout.dir('state'), 'proxmox-ca.pem')
}

/** The cluster CA saved in a runtime root; undefined when there is none. */
export async function readSavedClusterCa(layout: RuntimeLayout): Promise<string | undefined> {
  return readUserText(clusterCaFile(layout), {maxBytes: CA_FILE_MAX_BYTES}).catch(() => undefined)
}
