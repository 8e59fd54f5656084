import type {InitContext} from '../../command/init-command.js'
import {vaultPasswordFlags} from '../../command/runtime-vault.js'
import {ExitCode, HyopsError} from '../../errors.js'
import type {MarkerDiscovery} from '../types.js'
import {proxmoxUrl} from '../api/url.js'
import type {ProxmoxInitIo} from '../init/io.js'
import {findReusableToken, type ReusableToken, type TokenReuseScan} from './scan.js'
import {listSiblingEnvs, siblingEnvsDir} from './siblings.js'
import type {ProxmoxInputs} from '../types.js'

/** Notes about broken siblings shown on the terminal; the evidence keeps them all. */
const NOTES_SHOWN = 5

/** Why the siblings are searched: this env has no secret, or its secret was rejected. */
export type ReuseWhy = 'missing' | 'stale'

/** What `offerSiblingToken` needs from the run. */
export interface SiblingOfferRequest {
  context: InitContext
  inputs: ProxmoxInputs
  /** Progress, notes, the validation of each candidate and the "reuse?" question. */
  io: Pick<ProxmoxInitIo, 'note' | 'prompts' | 'step' | 'validateToken'>
  why: ReuseWhy
  /** The API IP known so far (the marker's or the bootstrap's); PROXMOX_IP otherwise. */
  apiIp?: string
  /** Node and snippets storage known so far; each sibling's own otherwise. */
  node?: string
  storage?: string
  caPem?: string
  /** Secrets known to be rejected. */
  exclude?: string[]
  /** False in a dry run: a found token is reported, not asked about. */
  mayAsk: boolean
}

/** The outcome of an offer: the scan, and the token reused or declined. */
export interface SiblingOffer {
  scan: TokenReuseScan
  /** The sibling token to use (validated; the operator agreed or could not be asked). */
  accepted?: ReusableToken
  /** The operator answered no to this one. */
  declined?: ReusableToken
  /** The host as the operator was told about it. */
  host: string
}

/**
 * The annex's cross-env reuse: scans the sibling envs for a working secret of this run's
 * token on this run's host (`findReusableToken`), notes the siblings it skipped, and, when
 * one is found, asks "reuse?" (default yes) at a terminal or takes it without asking when
 * no one can answer. Records the scan in the evidence (no secret). Writes nothing.
 */
export async function offerSiblingToken(request: SiblingOfferRequest): Promise<SiblingOffer> {
  const {context, inputs, io} = request
  const {evidence, flags} = context
  const apiIp = request.apiIp ?? inputs.host
  const hosts = [...new Set([inputs.host, apiIp])]
  const host = apiIp === inputs.host ? inputs.host : `${inputs.host} (API ${apiIp})`
  const envsDir = siblingEnvsDir(context.root.root)
  const listing = await listSiblingEnvs(envsDir, context.root.root)
  if (listing.envs.length === 0 && listing.notes.length === 0) {
    // A lone env: nothing to show on the terminal.
    await evidence.record({token_reuse: {decision: 'none', envs: 0, envs_dir: envsDir, why: request.why}})
    return {host, scan: {durationMs: 0, envs: 0, envsDir, excluded: 0, failures: [], matched: [], notes: [], tried: 0}}
  }

  const scan = await io.step('look for the token in sibling envs', () =>
    evidence.step(`scan sibling envs (${request.why} secret)`, () =>
      findReusableToken({
        apiPort: inputs.apiPort,
        apiUrl: proxmoxUrl(apiIp, inputs.apiPort),
        caPem: request.caPem,
        envsDir,
        exclude: request.exclude,
        hosts,
        node: request.node,
        root: context.root.root,
        storage: request.storage,
        tlsSkip: inputs.tlsSkip,
        tokenId: inputs.tokenId,
        validate: io.validateToken,
        vault: vaultPasswordFlags(flags),
      }),
    ),
  )
  evidence.redactor.addSecret(scan.found?.secret)
  for (const note of scan.notes.slice(0, NOTES_SHOWN)) io.note(note)
  if (scan.notes.length > NOTES_SHOWN)
    io.note(`skipped ${scan.notes.length - NOTES_SHOWN} more sibling envs (see ${evidence.dir}/meta.json)`)

  let accepted: ReusableToken | undefined
  let declined: ReusableToken | undefined
  if (scan.found) {
    const agree =
      !request.mayAsk ||
      !context.interactive ||
      (await io.prompts.confirmReuseToken(scan.found.envName, `${host}, token ${inputs.tokenId}`))
    if (agree) accepted = scan.found
    else declined = scan.found
  } else if (scan.matched.length > 0) {
    io.note(`No sibling env holds a working secret of ${inputs.tokenId} for ${host}: ${describeFailures(scan)}`)
  }

  await evidence.record({
    token_reuse: {
      decision: accepted ? (request.mayAsk ? 'reused' : 'would-reuse') : declined ? 'declined' : 'none',
      duration_ms: Math.round(scan.durationMs),
      envs: scan.envs,
      envs_dir: scan.envsDir,
      excluded: scan.excluded,
      failures: scan.failures.map((f) => ({env: f.envName, reason: f.reason, source: f.source})),
      found: scan.found ? {env: scan.found.envName, source: scan.found.source} : null,
      hosts,
      matched: scan.matched,
      notes: scan.notes,
      tried: scan.tried,
      why: request.why,
    },
  })
  return {accepted, declined, host, scan}
}

/** `3 candidates from 2 envs rejected (token-rejected)` and the like. */
function describeFailures(scan: TokenReuseScan): string {
  const matched = `${scan.matched.length} env${scan.matched.length === 1 ? '' : 's'} matched`
  if (scan.failures.length === 0)
    return scan.excluded > 0
      ? `${matched}, holding only the secret that was just rejected`
      : `${matched}, but none holds a secret`
  const reasons = [...new Set(scan.failures.map((f) => f.reason))].join(', ')
  const envs = new Set(scan.failures.map((f) => f.envName)).size
  const first = scan.failures.find((f) => f.reason !== 'token-rejected')
  return (
    `${scan.failures.length} candidate secret${scan.failures.length === 1 ? '' : 's'} from ` +
    `${envs} env${envs === 1 ? '' : 's'} failed ` +
    `(${reasons})${first ? `; ${first.message}` : ''}`
  )
}

/** The API IP, node and snippets storage a scan validates on, from the marker or the bootstrap. */
export function reuseContext(runtime: Pick<MarkerDiscovery, 'apiIp' | 'node' | 'storageSnippets'> | undefined): {
  apiIp?: string
  node?: string
  storage?: string
} {
  return runtime ? {apiIp: runtime.apiIp, node: runtime.node, storage: runtime.storageSnippets} : {}
}

/** The one line that says a sibling's secret is used, and why. */
export function reusedLine(inputs: ProxmoxInputs, token: ReusableToken, host: string, why: ReuseWhy): string {
  const because = why === 'stale' ? 'the secret here was stale; ' : ''
  return (
    `Reusing the secret of ${inputs.tokenId} on ${host} from the env "${token.envName}" (its ` +
    `${token.source === 'vault' ? 'vault' : 'credentials file'}, validated): ${because}the ` +
    `token is not rotated`
  )
}

/**
 * The operator declined a sibling's working secret: the token exists on the host and others
 * use it, so hyops stops rather than rotate it (the annex: only --force rotates).
 */
export function declinedReuseError(inputs: ProxmoxInputs, envName: string, host: string): HyopsError {
  return new HyopsError(
    ExitCode.Secrets,
    `the token ${inputs.tokenId} exists on ${host} and the env "${envName}" uses it; its ` +
      `secret was not reused, and hyops does not rotate a token in use without --force`,
    {
      hint:
        `run again and answer yes to reuse it, store a secret with "hyops vault set ` +
        `PROXMOX_TOKEN_SECRET", or pass --force to rotate it (breaks "${envName}" and its other ` +
        `users)`,
      reason: 'token-exists',
    },
  )
}

/** This env's secret is rejected, no sibling offers a working one, and the token may not be rotated. */
export function staleSecretError(inputs: ProxmoxInputs, where: string, hint: string): HyopsError {
  return new HyopsError(
    ExitCode.Secrets,
    `Proxmox rejected the secret of ${inputs.tokenId} from ${where} (stale: the token was ` +
      `rotated or removed elsewhere), and no sibling env holds a working one`,
    {hint, reason: 'token-stale'},
  )
}
