import type {InitContext} from '../../command/init-command.js'
import {HyopsError} from '../../errors.js'
import {readMarker, type ReadinessMarker} from '../../readiness/marker.js'
import {writeFileSafely} from '../../runtime/safe-write.js'
import type {LoadedVault} from '../../vault/vault-access.js'
import type {ProxmoxTokenCheckResult} from '../api/validation.js'
import {clusterCaFile} from '../bootstrap/cluster-ca.js'
import {describeProxmoxInputs} from '../config/resolve.js'
import {withApiAddress} from '../host/api-address.js'
import {offerSnippets} from '../host/snippets.js'
import {discoveryFromMarker} from '../outputs/marker.js'
import {findKnownSecret, type KnownSecret, vaultEntryFor} from '../secret/known-secret.js'
import {
  declinedReuseError,
  offerSiblingToken,
  reusedLine,
  reuseContext,
  type ReuseWhy,
  type SiblingOffer,
  staleSecretError,
} from '../token-reuse/flow.js'
import type {ReusableToken} from '../token-reuse/scan.js'
import {fallbacksOf, type MarkerDiscovery, type ProxmoxInputs, type TokenAction, type TokenMode} from '../types.js'
import {
  decideRemote,
  decisionsRecord,
  knownCaPem,
  type Found,
  noRemoteDiscovery,
  noSecretBackError,
  noSecretError,
  NO_REMOTE_ROTATE_HINT,
  ROTATE_HINT,
  tokenCheck,
  sshTarget,
  tokenExistsError,
  runPaths,
} from './decisions.js'
import {accountMarker, accountNote, accountOutputs, accountRecorded} from '../provider-account/record.js'
import {accountStepRequest, type ProviderAccountReport} from '../provider-account/setup.js'
import {dryRun} from './dry-run.js'
import {credentialsText, keepNewSecret, readyReport} from './outputs.js'
import {NotReadyMarker} from './not-ready.js'
import {TokenLife} from '../lifetime/renewal.js'
import type {HostSession, ProxmoxInitIo, ProxmoxInitOptions, ProxmoxInitOutcome} from './io.js'

/**
 * One `hyops init proxmox` run after its inputs are resolved. It holds the run's state and is the only caller
 * of the remote bootstrap and of token validation; everything outside its memory goes through `io`.
 *
 * The steps are methods, in the order of the flow (`run`): find the secret, decide, bootstrap on the host,
 * choose the API address, validate, then the writes in the order that loses nothing (vault, credentials,
 * marker). A new step is a new method wrapped in `step` and called from `run` (or from the step before it).
 */
export class ProxmoxInitRun {
  private readonly paths: ProxmoxInitOutcome['paths']
  private vault!: LoadedVault
  private previousMarker?: ReadinessMarker
  /** The runtime the previous marker holds, when it is complete enough to run without the bootstrap. */
  private markerRuntime?: MarkerDiscovery
  private known?: KnownSecret
  private offer?: SiblingOffer
  private tokenMode: TokenMode = 'keep'
  private remote = true
  /** Set as soon as the host hands over a new secret. */
  private madeSecret?: string
  /** The marker while this run changes the token (set once the previous marker is read). */
  private notReady!: NotReadyMarker
  /** The vault's error when a new secret had to go to the credentials file instead (thrown after the bootstrap). */
  private keepError?: unknown
  /** Set when a rotation removed the old token on the host (its secret is dead), even if no new one came. */
  private tokenRemoved = false
  private tokenAction?: TokenAction
  private runtime?: MarkerDiscovery
  /** The sibling env whose secret this run took (already in this env's vault). */
  private reused?: ReusableToken
  /** A secret already validated against the runtime this run found (not validated twice). */
  private checked?: {secret: string; result: ProxmoxTokenCheckResult}
  /** The token's expiry and renewal (set once the previous marker is read). */
  private life!: TokenLife
  /** PROVIDER_SSH_USER's account as this run made or kept it. */
  private account?: ProviderAccountReport

  constructor(
    private readonly context: InitContext,
    private readonly inputs: ProxmoxInputs,
    private readonly options: ProxmoxInitOptions,
    private readonly io: ProxmoxInitIo,
  ) {
    this.paths = runPaths(context)
  }

  /** The flow. */
  async run(): Promise<ProxmoxInitOutcome> {
    const {evidence, flags} = this.context
    await evidence.record({proxmox: {inputs: describeProxmoxInputs(this.inputs), sources: this.inputs.sources}})
    await this.findSecret()
    this.decide()
    await evidence.record(decisionsRecord(this.remote, this.tokenMode, this.offer, this.known?.origin))
    if (flags['dry-run']) return this.plan()
    if (this.tokenMode !== 'keep') await this.step('check vault password', () => this.vault.ensureWritable())
    // On a signal, once the secret writes have settled: a run that changed the token leaves the marker not ready.
    this.context.guard?.onInterrupt(async (signal) => {
      if (this.tokenChanged) await this.markNotReady(new Error(`interrupted by ${signal}`))
    })
    if (this.offer?.accepted) await this.adoptReusedSecret(this.offer, 'missing')
    try {
      const discovered = this.remote
        ? await this.bootstrap(this.tokenMode)
        : noRemoteDiscovery(this.inputs, this.markerRuntime)
      const {choice, found} = await withApiAddress(discovered, this.inputs, await this.caPem(discovered.caPem))
      await evidence.record({api_address: choice})
      return await this.finish(await this.checkKnownSecret(found))
    } catch (error) {
      if (this.tokenChanged) await this.markNotReady(error)
      throw error
    }
  }

  /** The one way to run a step: progress on the terminal (`label`) and a step in the evidence (`evidenceName`). */
  private step<T>(label: string, run: () => Promise<T>, evidenceName = label): Promise<T> {
    return this.io.step(label, () => this.context.evidence.step(evidenceName, run))
  }

  private get tokenChanged(): boolean {
    return this.madeSecret !== undefined || this.tokenRemoved
  }

  /** This env's secret (vault, else credentials file) or, without one and without --force, a sibling env's. */
  private async findSecret(): Promise<void> {
    const {evidence, flags} = this.context
    this.previousMarker = await readMarker(this.context.layout, 'proxmox')
    this.life = new TokenLife(this.previousMarker, this.inputs, this.io.now)
    this.notReady = new NotReadyMarker({
      fallbacks: fallbacksOf(this.inputs),
      now: this.io.now,
      paths: this.paths,
      previous: this.previousMarker,
      redact: (text) => evidence.redactor.redact(text),
      runId: this.context.runId,
      tokenId: this.inputs.tokenId,
      write: this.io.writeMarker,
    })
    this.vault = await this.step('open vault', () => this.io.loadVault())
    this.known = flags.force
      ? undefined
      : await findKnownSecret(this.vault, this.paths.credentials, this.inputs.tokenId)
    evidence.redactor.addSecret(this.known?.secret)
    this.markerRuntime = this.previousMarker
      ? discoveryFromMarker(this.previousMarker, fallbacksOf(this.inputs))
      : undefined
    // No secret here and no --force: a sibling env's working secret is reused (asked at a terminal).
    if (this.known || flags.force) return
    this.offer = await offerSiblingToken({
      ...reuseContext(this.markerRuntime),
      context: this.context,
      inputs: this.inputs,
      io: this.io,
      caPem: await this.caPem(),
      mayAsk: !flags['dry-run'],
      why: 'missing',
    })
    if (this.offer.declined) throw declinedReuseError(this.inputs, this.offer.declined.envName, this.offer.host)
    if (this.offer.accepted) this.known = {origin: 'vault', secret: this.offer.accepted.secret}
  }

  /** What to do with the token (keep, create, rotate) and whether to reach the host at all. */
  private decide(): void {
    const {flags} = this.context
    if (!this.known && !flags.force && flags['non-interactive'])
      throw noSecretError(this.vault, this.inputs, this.paths.vault, this.offer)
    this.tokenMode = flags.force ? 'rotate' : this.known ? 'keep' : 'create'
    const readyMarker =
      this.previousMarker?.status === 'ready' &&
      this.markerRuntime !== undefined &&
      accountRecorded(this.inputs.providerSshUser, this.previousMarker)
    const remote = decideRemote(this.options, this.tokenMode, flags['non-interactive'], readyMarker)
    this.remote = this.life.connects(remote, this.options.remote)
  }

  /** --dry-run: the plan, with nothing written and nothing changed on the host. */
  private plan(): ProxmoxInitOutcome {
    return dryRun(this.inputs, {
      known: this.known,
      paths: this.paths,
      remote: this.remote,
      reusedFrom: this.offer?.accepted?.envName,
      tokenMode: this.tokenMode,
    })
  }

  /** A sibling's validated secret becomes this env's: into the vault at once, said in one line, recorded. */
  private async adoptReusedSecret(offer: SiblingOffer, why: ReuseWhy): Promise<void> {
    const token = offer.accepted!
    await this.step('store reused secret in vault', () =>
      this.vault.update(vaultEntryFor(this.vault, this.inputs.tokenId, token.secret).changes),
    )
    this.context.evidence.fileWritten(this.paths.vault)
    this.reused = token
    this.known = {origin: 'vault', secret: token.secret}
    this.io.note(reusedLine(this.inputs, token, offer.host, why))
    await this.context.evidence.record({
      token_decision: {action: 'reused', from_env: token.envName, from_source: token.source, why},
    })
  }

  /**
   * The remote half: the one SSH session, the bootstrap script, the token decision (rotate an existing
   * token?), the new secret put on disk at once, the cluster CA saved, and snippets offered.
   */
  private async bootstrap(tokenMode: TokenMode): Promise<Found> {
    const {evidence, layout} = this.context
    const {inputs, io, options} = this
    const {record, target} = sshTarget(inputs, options)
    await evidence.record({ssh: record})
    const session = await this.step(
      `connect ${target}`,
      () =>
        io.connect({
          hostKeyPolicy: options.hostKeyPolicy,
          inputs,
          interactive: this.context.interactive,
          knownHostsFile: layout.knownHostsFile,
          note: io.note,
          route: options.ssh,
        }),
      'ssh connect',
    )
    // The host works for a while now: load the HTTP client for the validation meanwhile.
    io.preloadValidation?.()
    const stop = new AbortController()
    const unStop = this.context.guard?.onStop(() => stop.abort())
    try {
      let discovery = await this.runBootstrap(session, tokenMode, stop.signal)
      if (tokenMode === 'create' && discovery.tokenExisted && !discovery.tokenSecret) {
        const rotate =
          this.life.replacesExpired(discovery) ||
          (this.context.interactive && (await io.prompts.confirmRotateToken(inputs.tokenId)))
        if (!rotate) throw tokenExistsError(inputs, this.paths.vault)
        discovery = await this.runBootstrap(session, 'rotate', stop.signal)
      }

      this.tokenAction = this.life.action(discovery)
      const {caPem} = discovery
      if (caPem) {
        const caFile = clusterCaFile(layout)
        await writeFileSafely(caFile, caPem, {mode: 0o644})
        evidence.fileWritten(caFile)
      }

      const runtime = await this.offerSnippets(session, discovery)
      if (inputs.providerSshUser) await this.providerAccount(session, inputs.providerSshUser, runtime)
      return {caPem, role: discovery.role, runtime}
    } finally {
      unStop?.()
      session.dispose()
    }
  }

  /** One run of the bootstrap script; a rotation first marks the marker not ready (write-ahead). */
  private async runBootstrap(session: HostSession, mode: TokenMode, stop: AbortSignal) {
    if (mode === 'rotate') await this.notReady.rotating()
    const found = await this.step(
      'bootstrap Proxmox',
      () =>
        session.bootstrap({
          inputs: this.inputs,
          onTokenRemoved: () => void (this.tokenRemoved = true),
          onTokenSecret: (secret) => this.keepSecret(secret),
          ...this.life.bootstrapRequest(() => this.notReady.rotating()),
          snippetsStorage: typeof this.options.enableSnippets === 'string' ? this.options.enableSnippets : undefined,
          stop,
          tokenMode: mode,
          wantCa: !this.inputs.tlsSkip && this.inputs.tlsCaFile === undefined,
        }),
      `remote bootstrap (token ${mode})`,
    ).catch(async (error: unknown) => {
      // Only a script that ended and said what it did proves the old token is still there.
      if (error instanceof HyopsError && error.reason === 'script-failed') {
        if (!this.tokenChanged) await this.notReady.restore()
      }
      throw error
    })
    if (this.keepError !== undefined) throw this.keepError
    return found
  }

  /** A secret the host just made: on disk before the script goes on (see `keepNewSecret`). */
  private async keepSecret(secret: string): Promise<void> {
    const {guard} = this.context
    this.context.evidence.redactor.addSecret(secret)
    this.madeSecret = secret
    const keeping = keepNewSecret({
      inputs: this.inputs,
      note: this.io.note,
      paths: this.paths,
      removed: this.tokenRemoved,
      secret,
      vault: this.vault,
    }).then(({vaultError, where}) => {
      if (vaultError !== undefined) this.keepError = vaultError
      return where
    })
    const where = await (guard?.critical(keeping) ?? keeping)
    guard?.keep(`the new secret of ${this.inputs.tokenId} is in ${where}`)
  }

  /** Snippets added on the host when asked for (see `offerSnippets`). */
  private offerSnippets<R extends MarkerDiscovery>(session: HostSession, runtime: R): Promise<R> {
    return offerSnippets(runtime, {
      apply: (target) =>
        this.step(`enable snippets on ${target}`, () => session.enableSnippets(runtime, target, this.inputs)),
      confirm: (question) => this.io.prompts.confirm(question, false),
      enable: this.options.enableSnippets,
      interactive: this.context.interactive,
      record: (change) => this.context.evidence.record({snippets_enabled: change}),
    })
  }

  /** The provider SSH account on every node, proved there (docs/proxmox.md, "The provider SSH account"). */
  private async providerAccount(session: HostSession, account: string, runtime: MarkerDiscovery): Promise<void> {
    const {context, inputs, options, vault} = this
    const request = accountStepRequest({account, context, inputs, route: options.ssh, runtime, vault})
    this.account = await session.providerAccount!({...request, step: (label, run) => this.step(label, run)})
    await context.evidence.record({provider_ssh: accountMarker(this.account)})
    this.io.note(accountNote(this.account))
  }

  /**
   * A secret this run did not make is validated before anything is written. A 401 means it is stale (the
   * token was rotated elsewhere): a sibling env's working secret heals it; only then is the token rotated,
   * and only at a terminal after asking (without one: exit 21, --force).
   */
  private async checkKnownSecret(found: Found): Promise<Found> {
    const {inputs, io, known} = this
    if (this.madeSecret || !known) return found
    const {runtime} = found
    const caPem = await this.caPem(found.caPem)
    try {
      const result = await this.validate(runtime, known.secret, caPem)
      this.checked = {result, secret: known.secret}
      return found
    } catch (error) {
      if (!(error instanceof HyopsError) || error.reason !== 'token-rejected' || this.reused) throw error
    }

    const where = known.origin === 'vault' ? `the vault ${this.paths.vault}` : this.paths.credentials
    io.note(
      `Proxmox rejected the secret of ${inputs.tokenId} from ${where} (rotated elsewhere?); ` +
        `looking for a working one in the sibling envs`,
    )
    const offer = await offerSiblingToken({
      ...reuseContext(runtime),
      context: this.context,
      inputs: this.inputs,
      io: this.io,
      caPem,
      exclude: [known.secret],
      mayAsk: true,
      why: 'stale',
    })
    if (offer.declined) throw declinedReuseError(inputs, offer.declined.envName, offer.host)
    if (offer.accepted) {
      await this.adoptReusedSecret(offer, 'stale')
      this.checked = {
        result: offer.accepted.version === undefined ? {} : {version: offer.accepted.version},
        secret: offer.accepted.secret,
      }
      return found
    }

    if (!this.context.interactive) throw staleSecretError(inputs, where, ROTATE_HINT)
    if (this.options.remote === false) throw staleSecretError(inputs, where, NO_REMOTE_ROTATE_HINT)
    if (!(await io.prompts.confirmRotateToken(inputs.tokenId))) throw staleSecretError(inputs, where, ROTATE_HINT)
    io.note(
      `Rotating ${inputs.tokenId} on ${inputs.host}: the secret from ${where} is stale and no ` +
        `sibling env holds a working one`,
    )
    await this.context.evidence.record({token_decision: {action: 'rotate', why: 'stale'}})
    await this.step('check vault password', () => this.vault.ensureWritable())
    return this.bootstrap('rotate')
  }

  /** The one token validation of a run: the API, the snippets storage and the profile's privileges. */
  private validate(runtime: MarkerDiscovery, secret: string, caPem: string | undefined) {
    const {inputs} = this
    return this.step('validate token', () => this.io.validateToken(tokenCheck(inputs, runtime, secret, caPem)))
  }

  /** The writes of a successful run, in the order that loses nothing: vault, credentials, marker. */
  private async finish(found: Found): Promise<ProxmoxInitOutcome> {
    const {evidence, runId} = this.context
    const {inputs, io, paths} = this
    const {runtime} = found
    this.runtime = runtime
    const secret = this.madeSecret ?? this.known?.secret
    if (!secret) throw noSecretBackError(inputs)
    const check =
      this.checked?.secret === secret && this.checked.result.verified
        ? this.checked.result
        : await this.validate(runtime, secret, await this.caPem(found.caPem))

    if (!this.madeSecret && this.known?.origin === 'credentials') {
      await this.step('restore secret to vault', () =>
        this.vault.update(vaultEntryFor(this.vault, inputs.tokenId, secret).changes),
      )
      io.note(`Put the secret of ${inputs.tokenId} from ${paths.credentials} back into the vault`)
    }

    const written = this.madeSecret || this.reused || this.known?.origin === 'credentials' ? [paths.vault] : []
    const account = accountOutputs(inputs.providerSshUser, this.account, this.previousMarker)
    const {sshPublicKey, tfvars} = await credentialsText(inputs, runtime, secret, account.handover)
    await this.step('write credentials', () => writeFileSafely(paths.credentials, tfvars, {mode: 0o600}))
    evidence.fileWritten(paths.credentials)
    written.push(paths.credentials)

    const report = readyReport({
      check,
      found,
      generatedAt: io.now(),
      inputs,
      knownOrigin: this.known?.origin,
      paths,
      providerSsh: account,
      remote: this.remote,
      reusedFrom: this.madeSecret ? undefined : this.reused?.envName,
      runId,
      sshPublicKey,
      token: this.life.record(this.tokenAction ?? 'kept', this.madeSecret ? undefined : this.reused?.envName),
      written,
    })
    await this.step('write readiness marker', () => io.writeMarker(report.marker))
    written.push(paths.marker)
    await evidence.record({outcome: report.evidence})
    return report.outcome
  }

  /** The token changed on the host and the run failed after: an existing marker stops saying `ready`. */
  private async markNotReady(error: unknown): Promise<void> {
    if (await this.notReady.failed(error, this.madeSecret !== undefined, this.runtime, this.tokenAction))
      this.context.guard?.keep(`the marker ${this.paths.marker} says not_ready`)
  }

  /** The CA validation verifies against (see `knownCaPem`). */
  private caPem(fromHost?: string): Promise<string | undefined> {
    return knownCaPem(this.inputs, this.context.layout, fromHost)
  }
}
