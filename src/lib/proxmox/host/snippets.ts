// --enable-snippets[=STORAGE]: adds the snippets content type to a file-based storage with
// `pvesm set ID --content <its current types>,snippets` (pve-storage src/PVE/CLI/pvesm.pm), so
// cloud-init snippet uploads work; afterwards storage_snippets is that storage, `detected`.

import {ExitCode, HyopsError} from '../../errors.js'
import type {SshSession} from '../../ssh/connection.js'
import {shellQuote} from '../../ssh/shell-quote.js'
import {summarizeStderr} from '../bootstrap/stderr.js'
import type {MarkerDiscovery} from '../types.js'
import {hostStateCause} from './host-state.js'

/** What was changed, for the evidence. */
export interface SnippetsChange {
  storage: string
  content_before: string[]
  content_after: string[]
}

/** The storage `--enable-snippets` (true = the offered one) would change, or an exit-11 error. */
export function snippetsTarget(runtime: MarkerDiscovery, wanted: string | true): string {
  const target = wanted === true ? runtime.snippetsCandidate : wanted
  const files = runtime.fileStorages ?? {}
  if (!target || files[target] === undefined) {
    const names = Object.keys(files).join(', ') || 'none'
    throw new HyopsError(
      ExitCode.ConfigInvalid,
      target
        ? `--enable-snippets=${target}: no enabled file-based storage ${target} on node ${runtime.node}`
        : `--enable-snippets: node ${runtime.node} has no enabled file-based storage to add snippets to`,
      {
        hint: `name one of the file-based storages (${names}) as --enable-snippets=STORAGE`,
        reason: 'no-snippets-storage',
      },
    )
  }

  return target
}

/** Runs `pvesm set` on the host and returns the runtime with snippets detected on that storage. */
export async function enableSnippets(
  session: SshSession,
  runtime: MarkerDiscovery,
  target: string,
  who: {sshUsername: string; userFq: string},
): Promise<{runtime: MarkerDiscovery; change: SnippetsChange}> {
  const before = runtime.fileStorages?.[target] ?? []
  const after = before.includes('snippets') ? before : [...before, 'snippets']
  const command = `pvesm set ${shellQuote(target)} --content ${shellQuote(after.join(','))}`
  const result = await session.exec(command, {timeoutMs: 60_000})
  if (result.code !== 0) {
    const cause = hostStateCause(result.stderr, who.sshUsername, who.userFq)
    throw new HyopsError(
      ExitCode.Remote,
      `cannot add snippets to storage ${target} on ${session.target}: ${summarizeStderr(result.stderr)}`,
      {hint: cause?.hint ?? `run "${command}" on the host, then re-run`, reason: cause?.reason ?? 'snippets-failed'},
    )
  }

  return {
    change: {content_after: after, content_before: before, storage: target},
    runtime: {
      ...runtime,
      fileStorages: {...runtime.fileStorages, [target]: after},
      snippetsCandidate: undefined,
      snippetsEnabled: target,
      storageSnippets: target,
      storageSnippetsSource: 'detected',
    },
  }
}

/**
 * Where to add snippets, when no storage has them: `enable` (--enable-snippets), or at a terminal the offered
 * candidate after a yes to `confirm` (default no); undefined for neither.
 */
export async function snippetsWanted(
  runtime: MarkerDiscovery,
  enable: string | true | undefined,
  interactive: boolean,
  confirm: (question: string) => Promise<boolean>,
): Promise<string | true | undefined> {
  if (enable !== undefined || !interactive || !runtime.snippetsCandidate) return enable
  const candidate = runtime.snippetsCandidate
  const yes = await confirm(
    `No storage of node ${runtime.node} has the snippets content type (cloud-init snippets). ` +
      `Add it to "${candidate}" (pvesm set ${candidate} --content ...,snippets)?`,
  )
  return yes ? true : undefined
}

/** What `offerSnippets` needs of the run: the flag, the terminal, and the session's change wrapped as a step. */
export interface SnippetsOffer {
  enable: string | true | undefined
  interactive: boolean
  confirm: (question: string) => Promise<boolean>
  /** Adds snippets on `target` over the open session (as a step of the run). */
  apply: (target: string) => Promise<{change: SnippetsChange; runtime: Partial<MarkerDiscovery>}>
  record: (change: SnippetsChange) => Promise<void>
}

/**
 * With --enable-snippets, or a yes at the terminal (default no), when no storage has snippets: add them on
 * the host over the open session; the evidence records the change.
 */
export async function offerSnippets<R extends MarkerDiscovery>(runtime: R, offer: SnippetsOffer): Promise<R> {
  if (runtime.storageSnippetsSource === 'detected') return runtime
  const wanted = await snippetsWanted(runtime, offer.enable, offer.interactive, offer.confirm)
  if (wanted === undefined) return runtime
  const {change, runtime: changed} = await offer.apply(snippetsTarget(runtime, wanted))
  await offer.record(change)
  return {...runtime, ...changed}
}
