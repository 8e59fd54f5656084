// Shared by the provider account tests: a unique account name, an in-memory vault, a root session to a node, and
// commands run as the account over its own key.
import {randomBytes} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {connectSsh, type SshSession} from '../../../../src/lib/ssh/connection.js'
import type {LoadedVault} from '../../../../src/lib/vault/vault-access.js'
import type {PveSim} from '../../../fixtures/pve-sim/index.js'

/** A Linux account name no other test uses. */
export function uniqueAccount(): string {
  return `hyt${randomBytes(4).toString('hex')}`
}

/** A vault held in memory: enough for the step, which only reads values and updates them. */
export function memoryVault(initial: Record<string, string> = {}): LoadedVault & {updates: number} {
  const values: Record<string, string> = {...initial}
  return {
    ensureWritable: async () => undefined,
    exists: true,
    file: '/memory/vault',
    async update(changes) {
      this.updates++
      for (const [name, value] of Object.entries(changes)) {
        if (value === undefined) delete values[name]
        else values[name] = value
      }

      return {...values}
    },
    updates: 0,
    values,
  }
}

/** A scratch folder (removed by the returned function). */
export async function scratch(): Promise<{dir: string; remove: () => Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'hyops-account-'))
  return {dir, remove: () => rm(dir, {force: true, recursive: true})}
}

/** root on a node with the sim's client key, its host key recorded on first use into `knownHostsFile`. */
export function rootSession(sim: PveSim, address: string, port: number, knownHostsFile: string): Promise<SshSession> {
  return connectSsh({
    host: address,
    hostKeyPolicy: 'accept-new',
    knownHostsFile,
    port,
    privateKeyPath: sim.clientKey.privateKeyPath,
    username: 'root',
  })
}

/** `account@address:port` with its key, the host key checked strictly against `knownHostsFile`. */
export function accountSession(
  account: string,
  key: string,
  address: string,
  port: number,
  knownHostsFile: string,
): Promise<SshSession> {
  return connectSsh({
    host: address,
    hostKeyPolicy: 'strict',
    identitiesOnly: true,
    knownHostsFile,
    port,
    privateKeyPath: key,
    username: account,
  })
}
