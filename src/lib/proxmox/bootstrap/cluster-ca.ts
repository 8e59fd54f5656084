import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {RuntimeLayout} from '../../runtime/layout.js'

/**
 * `<root>/state/proxmox-ca.pem`: the cluster CA a bootstrap read from the host, for verified
 * TLS without TLS_CA_FILE.
 */
export function clusterCaFile(layout: RuntimeLayout): string {
  return join(layout.dir('state'), 'proxmox-ca.pem')
}

/** The cluster CA saved in a runtime root; undefined when there is none. */
export async function readSavedClusterCa(layout: RuntimeLayout): Promise<string | undefined> {
  return readFile(clusterCaFile(layout), 'utf8').catch(() => undefined)
}
