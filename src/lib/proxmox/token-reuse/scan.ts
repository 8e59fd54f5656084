import {setMaxListeners} from 'node:events'

import {ExitCode, HyopsError} from '../../errors.js'
import {RuntimeLayout} from '../../runtime/layout.js'
import {openVault} from '../../vault/open-vault.js'
import type {VaultAccessOptions} from '../../vault/vault-access.js'
import {type ProxmoxTokenCheck, type ProxmoxTokenCheckResult, validateProxmoxToken} from '../api/validation.js'
import {readSavedClusterCa} from '../bootstrap/cluster-ca.js'
import {TOKEN_SECRET_KEY} from '../secret/known-secret.js'
import {Slots} from './slots.js'
import {
  listSiblingEnvs,
  matchesTarget,
  readSiblingCredentials,
  type ReuseTarget,
  type SiblingCredentials,
  siblingEnvsDir,
  withMarkerTime,
} from './siblings.js'

export {matchesTarget, normalizeHost, siblingEnvsDir, type ReuseTarget, type SiblingCredentials} from './siblings.js'

/** Validations in flight at once: above the forty stale siblings a lab may well have. */
export const DEFAULT_REUSE_CONCURRENCY = 64
/** Sibling vaults decrypted at once (the key derivation runs on libuv's four threads). */
const VAULT_CONCURRENCY = 8
/** Why a sibling vault did not open, in words shared by every env it applies to. */
const VAULT_REASONS: Record<string, string> = {
  'no-password': 'no vault password source (--vault-password-file, --vault-password-command)',
  'wrong-password': 'another vault password (or a damaged vault)',
}

/** What a scan of the sibling envs looks for, and how it validates what it finds. */
export interface TokenReuseQuery extends ReuseTarget {
  /** This run's runtime root: never read as a sibling. */
  root: string
  /** Where the siblings are; `siblingEnvsDir(root)` unless given. */
  envsDir?: string
  /** This run's API URL (`proxmoxUrl(api ip, PROXMOX_API_PORT)`): candidates are validated there. */
  apiUrl: string
  tlsSkip: boolean
  /**
   * The CA to verify against (TLS_CA_FILE or this env's cluster CA); else the sibling's saved cluster CA, else
   * the system CAs.
   */
  caPem?: string
  /**
   * Node and storage to validate on when this run knows them; else each sibling's `proxmox_node` and
   * `storage_snippets`.
   */
  node?: string
  storage?: string
  /** The password source of this run; sibling vaults are opened with it, never with a prompt. */
  vault: Pick<VaultAccessOptions, 'environment' | 'passwordCommand' | 'passwordFile'>
  /** Secrets known not to work (this env's stale one): never tried. */
  exclude?: readonly string[]
  /** Validations in flight at once (default `DEFAULT_REUSE_CONCURRENCY`). */
  concurrency?: number
  /** Per validation request (default 10 s). */
  timeoutMs?: number
  /** The validation (tests count calls); `validateProxmoxToken` unless given. */
  validate?: (check: ProxmoxTokenCheck) => Promise<ProxmoxTokenCheckResult>
}

/** Where a candidate secret was found in its env. */
export type ReuseSource = 'credentials' | 'vault'

/** A sibling's secret that the Proxmox API accepted. */
export interface ReusableToken {
  envName: string
  root: string
  source: ReuseSource
  /** Never log it. */
  secret: string
  /** The Proxmox VE version the API reported. */
  version?: string
}

/** One candidate the API did not accept (the secret is not kept). */
export interface ReuseFailure {
  envName: string
  source: ReuseSource
  /** The HyopsError reason (`token-rejected`, `unreachable`, `tls`, ...). */
  reason: string
  message: string
}

/** What a scan found and did; holds no secret but `found.secret`. */
export interface TokenReuseScan {
  found?: ReusableToken
  envsDir: string
  /** Sibling envs looked at. */
  envs: number
  /** Envs whose credentials are for this token on this host, likeliest first. */
  matched: string[]
  /** Distinct secrets validated (started). */
  tried: number
  /** Candidates that were one of `exclude` (this env's rejected secret), not tried again. */
  excluded: number
  /** Candidates the API refused or that could not be checked (cancelled ones aside). */
  failures: ReuseFailure[]
  /** Siblings skipped, each in one line: unreadable or garbled files, vaults that did not open. */
  notes: string[]
  durationMs: number
}

interface Candidate {
  sibling: SiblingCredentials
  source: ReuseSource
  secret: string
}

/**
 * Looks for a working secret of this token in the sibling envs. Every sibling's tfvars is
 * read first (cheap); only those that match `query` (see `matchesTarget`) are used: their
 * tfvars secret is validated at once, their vault (same password source, never a prompt) is
 * decrypted and its secret validated too. Candidates start likeliest first (newest tfvars or
 * marker), run concurrently, and the first one the API accepts wins: the others are
 * cancelled. A sibling that cannot be read or opened is a note, never an error.
 */
export async function findReusableToken(query: TokenReuseQuery): Promise<TokenReuseScan> {
  const started = performance.now()
  const envsDir = query.envsDir ?? siblingEnvsDir(query.root)
  const listing = await listSiblingEnvs(envsDir, query.root)
  const notes = [...listing.notes]
  const reads = await Promise.all(listing.envs.map((env) => readSiblingCredentials(env)))
  const matching: SiblingCredentials[] = []
  for (const read of reads) {
    if (read.kind === 'broken') notes.push(read.note)
    else if (read.kind === 'credentials' && matchesTarget(read.credentials, query)) matching.push(read.credentials)
  }

  const matches = await Promise.all(matching.map((m) => withMarkerTime(m)))
  matches.sort((a, b) => b.writtenAt - a.writtenAt || (a.name < b.name ? -1 : 1))
  const race = new CandidateRace(query, notes)
  const found = await race.run(matches)
  return {
    durationMs: performance.now() - started,
    envs: listing.envs.length,
    envsDir,
    excluded: race.excluded,
    failures: race.failures,
    found,
    matched: matches.map((m) => m.name),
    notes,
    tried: race.tried,
  }
}

/** The concurrent validation of the candidates: first accepted wins, the rest are aborted. */
class CandidateRace {
  readonly failures: ReuseFailure[] = []
  tried = 0
  excluded = 0
  private readonly controller = new AbortController()
  private readonly seen = new Set<string>()
  private readonly exclude: Set<string>
  private readonly validations: Slots
  private readonly decryptions = new Slots(VAULT_CONCURRENCY)
  private readonly vaultNotes = new Map<string, string[]>()
  private winner?: ReusableToken
  private settle?: (token: ReusableToken | undefined) => void

  constructor(
    private readonly query: TokenReuseQuery,
    private readonly notes: string[],
  ) {
    this.exclude = new Set(query.exclude)
    // Every candidate in flight listens to the one signal that cancels them all.
    setMaxListeners(0, this.controller.signal)
    this.validations = new Slots(Math.max(1, query.concurrency ?? DEFAULT_REUSE_CONCURRENCY))
  }

  async run(matches: SiblingCredentials[]): Promise<ReusableToken | undefined> {
    const won = new Promise<ReusableToken | undefined>((resolve) => {
      this.settle = resolve
    })
    // Every tfvars secret is queued first, likeliest first; vault secrets join as they are decrypted.
    const direct = matches.map((sibling) =>
      sibling.secret ? this.attempt({secret: sibling.secret, sibling, source: 'credentials'}) : Promise.resolve(),
    )
    const fromVaults = matches.map((sibling) => this.fromVault(sibling))
    const all = Promise.all([...direct, ...fromVaults]).then(() => undefined)
    const found = await Promise.race([won, all])
    this.controller.abort()
    this.flushVaultNotes()
    return found ?? this.winner
  }

  private async fromVault(sibling: SiblingCredentials): Promise<void> {
    const secret = await this.decryptions.run(this.controller.signal, () => this.vaultSecret(sibling))
    if (secret) await this.attempt({secret, sibling, source: 'vault'})
  }

  private async vaultSecret(sibling: SiblingCredentials): Promise<string | undefined> {
    try {
      const vault = await openVault({
        ...this.query.vault,
        interactive: false,
        vaultFile: new RuntimeLayout(sibling.root).vaultFile,
      })
      const secret = vault.values[TOKEN_SECRET_KEY]
      return secret === '' ? undefined : secret
    } catch (error) {
      const reason = error instanceof HyopsError ? error.reason : undefined
      const why = (reason && VAULT_REASONS[reason]) ?? oneLine(error)
      const list = this.vaultNotes.get(why) ?? []
      list.push(sibling.name)
      this.vaultNotes.set(why, list)
      return undefined
    }
  }

  private async attempt(candidate: Candidate): Promise<void> {
    if (this.exclude.has(candidate.secret)) {
      this.excluded++
      return
    }

    if (this.seen.has(candidate.secret)) return
    this.seen.add(candidate.secret)
    await this.validations.run(this.controller.signal, async () => {
      this.tried++
      try {
        const result = await this.validate(candidate)
        if (this.winner) return
        this.winner = {
          envName: candidate.sibling.name,
          root: candidate.sibling.root,
          secret: candidate.secret,
          source: candidate.source,
          ...(result.version === undefined ? {} : {version: result.version}),
        }
        this.controller.abort()
        this.settle?.(this.winner)
      } catch (error) {
        if (this.controller.signal.aborted) return
        const reason = error instanceof HyopsError ? (error.reason ?? 'error') : 'error'
        this.failures.push({envName: candidate.sibling.name, message: oneLine(error), reason, source: candidate.source})
      }
    })
  }

  private async validate(candidate: Candidate): Promise<ProxmoxTokenCheckResult> {
    const {query} = this
    const {sibling} = candidate
    const caPem = query.tlsSkip
      ? undefined
      : (query.caPem ?? (await readSavedClusterCa(new RuntimeLayout(sibling.root))))
    const node = query.node ?? sibling.node
    const storage = query.storage ?? sibling.storage
    if (!node || !storage)
      throw new HyopsError(
        ExitCode.Secrets,
        `env "${sibling.name}" names no proxmox_node or storage_snippets to validate on`,
        {reason: 'incomplete'},
      )
    return (query.validate ?? validateProxmoxToken)({
      apiUrl: query.apiUrl,
      caPem,
      node,
      secret: candidate.secret,
      signal: this.controller.signal,
      storage,
      timeoutMs: query.timeoutMs ?? 10_000,
      tlsSkip: query.tlsSkip,
      tokenId: query.tokenId,
    })
  }

  /** One note per distinct reason a vault did not open, naming the envs. */
  private flushVaultNotes(): void {
    for (const [why, envs] of this.vaultNotes) {
      const names = envs.sort().map((name) => `"${name}"`)
      const list = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ')
      this.notes.push(`skipped the vault of env${envs.length > 1 ? 's' : ''} ${list}: ${why}`)
    }

    this.vaultNotes.clear()
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.replaceAll(/\s*\n\s*/g, ' ')
}
