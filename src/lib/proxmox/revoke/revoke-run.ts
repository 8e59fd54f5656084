// `hyops revoke proxmox` as one object per run (the sibling of the init run): its I/O comes in with the request
// (vault, marker writer, evidence, clock, notes) and the SSH connection as a parameter, so each step can be
// tested with fakes. The order loses nothing and never lies: the host first (write-ahead marker once connected),
// then the vault, the credentials file, and last the marker as `revoked`.

import {lstat, rm} from 'node:fs/promises'

import {ExitCode, HyopsError} from '../../errors.js'
import type {RevokeAnswer, RevokePlan, RevokeRequest} from '../../hooks/revoke-targets.js'
import type {ReadinessMarker} from '../../readiness/marker.js'
import {writeFileSafely} from '../../runtime/safe-write.js'
import {readUserFile, SMALL_FILE_MAX_BYTES} from '../../runtime/user-file.js'
import type {LoadedVault} from '../../vault/vault-access.js'
import type {HostSessionRequest} from '../bootstrap/host-session.js'
import {connectHostSession, type HostSession} from '../init/io.js'
import {readProxmoxConfig, resolveProxmoxInputs} from '../config/resolve.js'
import {applySshConfig, type SshRoute} from '../config/ssh-route.js'
import {TOKEN_ID_KEY, TOKEN_SECRET_KEY} from '../secret/known-secret.js'
import type {ProxmoxMarker} from '../outputs/marker.js'
import type {ProxmoxInputs} from '../types.js'
import type {HostRevokeReport} from './host-revoke.js'
import type {AccountRemoval} from '../provider-account/remove.js'
import {PROVIDER_SSH_KEY_VAULT_KEY} from '../provider-account/key.js'
import type {ProviderSshMarker} from '../provider-account/record.js'
import type {ClusterNodeInfo} from '../types.js'

/** Opens the session to the host: the init run's own I/O (`ProxmoxInitIo.connect`) unless a test gives another. */
export type RevokeConnect = (request: HostSessionRequest) => Promise<HostSession>

/** What is revoked: the marker's token (the one hyops made), its user, the managed role, and the host. */
interface RevokeSubject {
  tokenId: string
  userFq: string
  tokenName: string
  roleName: string
  userCreated: boolean
  credentials: string
  vault: string
  marker: string
  /** Resolved from the config (and HYOPS_PROXMOX_*), when it could be. */
  inputs?: ProxmoxInputs
  route?: SshRoute
  /** Why the host inputs could not be resolved. */
  inputsError?: unknown
  /** PROVIDER_SSH_USER's account as the marker records it (removed from every node, its key forgotten). */
  account?: ProviderSshMarker
  runtime?: {node?: string; cluster_nodes?: ClusterNodeInfo[]}
}

export class ProxmoxRevokeRun {
  /** Set the moment the host says the token is gone. */
  private tokenRemoved = false
  private markerBefore?: Buffer

  constructor(
    private readonly request: RevokeRequest,
    private readonly connect: RevokeConnect = connectHostSession,
  ) {}

  /** What would go, from the marker and the config alone (nothing is contacted or changed). */
  async plan(): Promise<RevokePlan> {
    const {marker} = this.request
    if (!marker) return {local: [], nothing: `proxmox is not initialised in ${this.request.layout.root}`, remote: []}
    if (marker.status === 'revoked')
      return {local: [], nothing: `proxmox was already revoked (${marker.reason ?? marker.generated_at})`, remote: []}
    const subject = await this.subject()
    const host = subject.inputs?.host ?? 'the host'
    const remote = this.request.localOnly
      ? []
      : [
          `the token ${subject.tokenId} on ${host}`,
          subject.userCreated
            ? `the user ${subject.userFq} (hyops made it), with its grants`
            : `the grant of the role ${subject.roleName} on / to ${subject.userFq} (the user stays)`,
          `the role ${subject.roleName}, unless another grant still uses it`,
          ...(subject.account
            ? [`the provider SSH account ${subject.account.user} and its sudoers drop-in on every node`]
            : []),
        ]
    const notes = this.request.localOnly
      ? [
          `--local-only: the token may still work on the host; remove it there with ` +
            `"pveum user token remove ${subject.userFq} ${subject.tokenName}"`,
        ]
      : []
    return {
      local: [
        `${TOKEN_SECRET_KEY} and ${TOKEN_ID_KEY} from the vault ${subject.vault}`,
        `the credentials file ${subject.credentials}`,
        `the marker ${subject.marker} (rewritten as revoked)`,
      ],
      notes,
      remote,
    }
  }

  /** The host part (unless local-only), then the local part. */
  async revoke(plan: RevokePlan): Promise<RevokeAnswer> {
    if (plan.nothing) return {removed: [], warnings: []}
    const {evidence, localOnly} = this.request
    const subject = await this.subject()
    const vault = await evidence.step('open vault', () => this.request.openVault())
    const forget = ownKeys(vault, subject.tokenId)
    if (subject.account && vault.values[PROVIDER_SSH_KEY_VAULT_KEY] !== undefined)
      forget.push(PROVIDER_SSH_KEY_VAULT_KEY)
    if (forget.length > 0) await evidence.step('check vault password', () => vault.ensureWritable())
    const removed: string[] = []
    const warnings: string[] = []
    if (localOnly) {
      warnings.push(...(plan.notes ?? []))
      await evidence.record({revoke: {local_only: true}})
    } else {
      const report = await this.revokeHost(subject)
      removed.push(...hostLines(subject, report))
      for (const node of report.accountRemovals ?? [])
        removed.push(
          `the provider SSH account ${subject.account!.user} on ${node.name} ` +
            `(${node.removed.join(', ') || 'none left'})`,
        )
      if (report.roleKept) warnings.push(`kept the role ${subject.roleName}: ${report.roleKept} other grant(s) use it`)
    }

    removed.push(...(await this.forgetLocally(subject, vault, forget)))
    await this.writeRevoked(subject, removed)
    removed.push(`the marker ${subject.marker} now says revoked`)
    await evidence.record({outcome: {removed, warnings}})
    return {removed, warnings}
  }

  /**
   * Connects (unreachable: exit 20, nothing written), then writes the marker as not ready before the first
   * change, and runs the revoke script. A script that failed before the token went leaves the marker as it was.
   */
  private async revokeHost(subject: RevokeSubject): Promise<HostRevokeReport & {accountRemovals?: AccountRemoval[]}> {
    const {evidence} = this.request
    if (!subject.inputs || !subject.route) throw subject.inputsError
    const {inputs} = subject
    const {interactive, layout, note} = this.request
    const route = subject.route
    const session = await evidence.step('ssh connect', () =>
      this.connect({
        hostKeyPolicy: route.hostKeyPolicy ?? 'accept-new',
        inputs,
        interactive,
        knownHostsFile: layout.knownHostsFile,
        note,
        route,
      }),
    )
    try {
      await this.writeAhead(subject)
      const report = await evidence
        .step('remote revoke', () =>
          session.revoke({
            deleteUser: subject.userCreated,
            onTokenRemoved: () => void (this.tokenRemoved = true),
            roleName: subject.roleName,
            sshUsername: inputs.sshUsername,
            stop: this.request.stop,
            sudo: inputs.sshSudo,
            tokenName: subject.tokenName,
            userFq: subject.userFq,
          }),
        )
        .catch(async (error: unknown) => {
          if (!this.tokenRemoved && this.markerBefore)
            await writeFileSafely(subject.marker, this.markerBefore, {mode: 0o600}).catch(() => {})
          throw error
        })
      if (!subject.account || !session.removeProviderAccount) return report
      // After the token: a revoke cut off here leaves the marker not ready, and a re-run finishes the nodes.
      const accountRemovals = await session.removeProviderAccount({
        account: subject.account.user,
        inputs,
        layout,
        members: subject.runtime?.cluster_nodes,
        node: subject.runtime?.node ?? subject.account.nodes[0]?.name ?? inputs.host,
        route,
        step: (label, run) => evidence.step(label, run),
      })
      return {...report, accountRemovals}
    } finally {
      session.dispose()
    }
  }

  /** The marker says not ready before the host changes: even a SIGKILL after the token went cannot leave `ready`. */
  private async writeAhead(subject: RevokeSubject): Promise<void> {
    const {marker, runId} = this.request
    this.markerBefore = await readUserFile(subject.marker, {maxBytes: SMALL_FILE_MAX_BYTES}).catch(() => undefined)
    if (!marker) return
    await this.request.writeMarker({
      ...marker,
      generated_at: this.request.clock.now().toISOString(),
      reason: `run ${runId} is revoking the token ${subject.tokenId}; run hyops revoke proxmox again to finish`,
      run_id: runId,
      status: 'not_ready',
    })
  }

  /** The vault's keys of this token, then the credentials file. */
  private async forgetLocally(subject: RevokeSubject, vault: LoadedVault, keys: string[]): Promise<string[]> {
    const {evidence} = this.request
    const removed: string[] = []
    if (keys.length > 0) {
      await evidence.step('remove vault keys', () =>
        vault.update(Object.fromEntries(keys.map((key) => [key, undefined]))),
      )
      evidence.fileWritten(subject.vault)
      removed.push(`${keys.join(' and ')} from the vault ${subject.vault}`)
    }

    const existed = await lstat(subject.credentials).then(
      () => true,
      () => false,
    )
    if (existed) {
      await evidence.step('delete credentials', () => rm(subject.credentials, {force: true}))
      removed.push(`the credentials file ${subject.credentials}`)
    }

    const keyFile = subject.account?.key_file
    if (keyFile) {
      await evidence.step('delete provider key', () =>
        Promise.all([rm(keyFile, {force: true}), rm(`${keyFile}.pub`, {force: true})]),
      )
      removed.push(`the provider SSH key ${keyFile}`)
    }

    return removed
  }

  private async writeRevoked(subject: RevokeSubject, removed: string[]): Promise<void> {
    const {clock, localOnly, marker, runId} = this.request
    const at = clock.now().toISOString()
    const previous = (marker ?? {}) as Partial<ProxmoxMarker>
    const revoked: ReadinessMarker = {
      generated_at: at,
      paths: previous.paths ?? {credentials: subject.credentials, vault: subject.vault},
      reason:
        `revoked by run ${runId} on ${at.slice(0, 10)}` +
        (localOnly ? ' (local only: the token may still work on the host)' : ''),
      revoked: {at, local_only: localOnly, removed, run_id: runId},
      run_id: runId,
      status: 'revoked',
      target: 'proxmox',
      ...(previous.token ? {token: {action: previous.token.action, id: previous.token.id}} : {}),
    }
    await this.request.writeMarker(revoked)
  }

  private subjectCache?: Promise<RevokeSubject>

  private subject(): Promise<RevokeSubject> {
    this.subjectCache ??= resolveSubject(this.request)
    return this.subjectCache
  }
}

async function resolveSubject(request: RevokeRequest): Promise<RevokeSubject> {
  const marker = request.marker as Partial<ProxmoxMarker> | undefined
  const configPath = marker?.paths?.config ?? request.layout.configFile('proxmox')
  let inputs: ProxmoxInputs | undefined
  let route: SshRoute | undefined
  let inputsError: unknown
  try {
    const config = await readProxmoxConfig(configPath)
    ;({inputs, route} = await applySshConfig(
      resolveProxmoxInputs({config, configPath, environment: request.environment, flags: {}}),
    ))
  } catch (error) {
    inputsError = error
  }

  const tokenId = marker?.token?.id ?? inputs?.tokenId
  if (!tokenId)
    throw new HyopsError(ExitCode.ConfigInvalid, `cannot tell which token to revoke: the marker names none`, {
      hint: `check ${configPath} (USER_FQ, TOKEN_NAME)`,
    })
  const bang = tokenId.lastIndexOf('!')
  return {
    account: marker?.provider_ssh,
    credentials: marker?.paths?.credentials ?? request.layout.credentialsFile('proxmox'),
    inputs,
    inputsError,
    marker: request.layout.markerFile('proxmox'),
    roleName: marker?.permissions?.role ?? inputs?.roleName ?? 'HyopsAutomation',
    route,
    runtime: marker?.runtime,
    tokenId,
    tokenName: tokenId.slice(bang + 1),
    userCreated: marker?.token?.user_created === true,
    userFq: tokenId.slice(0, bang),
    vault: marker?.paths?.vault ?? request.layout.dir('vault') + '/bootstrap.vault.env',
  }
}

/** The vault keys that are this token's: its secret and id, unless the vault says they are another token's. */
function ownKeys(vault: LoadedVault, tokenId: string): string[] {
  const id = vault.values[TOKEN_ID_KEY]
  if (id !== undefined && id !== tokenId) return []
  return [TOKEN_SECRET_KEY, TOKEN_ID_KEY].filter((key) => vault.values[key] !== undefined)
}

function hostLines(subject: RevokeSubject, report: HostRevokeReport): string[] {
  const host = subject.inputs?.host ?? 'the host'
  const lines: string[] = []
  lines.push(
    report.tokenRemoved
      ? `the token ${subject.tokenId} on ${host}`
      : `(the token ${subject.tokenId} was not on ${host} any more)`,
  )
  if (report.userRemoved) lines.push(`the user ${subject.userFq} on ${host}, with its grants`)
  if (report.grantRemoved) lines.push(`the grant of ${subject.roleName} on / to ${subject.userFq} on ${host}`)
  if (report.roleRemoved) lines.push(`the role ${subject.roleName} on ${host}`)
  return lines
}
