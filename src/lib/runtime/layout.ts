import {chmod, mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {writeError} from '../errors.js'

/** The contract's reserved directories under a runtime root. */
export const RESERVED_DIRS = ['config', 'credentials', 'vault', 'meta', 'logs', 'state'] as const
export type ReservedDir = (typeof RESERVED_DIRS)[number]

/** Paths of one runtime root, by the contract's layout. */
export class RuntimeLayout {
  readonly root: string

  constructor(root: string) {
    this.root = root
  }

  dir(name: ReservedDir): string {
    return join(this.root, name)
  }

  configFile(target: string): string {
    return join(this.root, 'config', `${target}.conf`)
  }

  credentialsFile(target: string): string {
    return join(this.root, 'credentials', `${target}.credentials.tfvars`)
  }

  markerFile(target: string): string {
    return join(this.root, 'meta', `${target}.ready.json`)
  }

  get vaultFile(): string {
    return join(this.root, 'vault', 'bootstrap.vault.env')
  }

  get knownHostsFile(): string {
    return join(this.root, 'state', 'known_hosts')
  }

  evidenceDir(target: string, runId: string): string {
    return join(this.root, 'logs', 'init', target, runId)
  }

  /** Creates the root and its reserved directories with mode 0700 (existing ones keep theirs). */
  async ensure(): Promise<void> {
    await makePrivateDir(this.root)
    for (const name of RESERVED_DIRS) await makePrivateDir(this.dir(name))
  }
}

/** `mkdir -p` with mode 0700 on each directory it creates, whatever the umask. */
export async function makePrivateDir(path: string): Promise<void> {
  try {
    const first = await mkdir(path, {mode: 0o700, recursive: true})
    if (first !== undefined) await chmod(path, 0o700)
  } catch (error) {
    throw writeError(`cannot create directory ${path}: ${(error as Error).message}`)
  }
}
