// PROVIDER_SSH_USER: the provider SSH account on every node of the cluster (docs/proxmox.md, "The provider SSH
// account"). Every node is reached and checked before any is changed; a node that fails while the account is being
// made has what this run made there taken back, and so do the nodes made before it.
import type {InitContext} from '../../command/init-command.js'
import type {SshSession} from '../../ssh/connection.js'
import type {LoadedVault} from '../../vault/vault-access.js'
import type {SshRoute} from '../config/ssh-route.js'
import type {MarkerDiscovery, ProxmoxInputs} from '../types.js'
import {type AccountKey, ensureAccountKey, providerKeyFile} from './key.js'
import {type AccountNode, accountNodes} from './nodes.js'
import {reachCluster, type ReachRequest} from './reach.js'
import {type AccountProof, checkProof, proveAccount} from './prove.js'
import {type AccountScriptRequest, accountScriptError, runAccountScript} from './script.js'

/** One node's part of the account (marker, summary, evidence). */
export interface AccountNodeReport {
  name: string
  address: string
  account: 'created' | 'kept'
  key: 'installed' | 'kept'
  sudoers: 'written' | 'kept'
  sudoVersion: string
  /** The sudo is 1.9.10 or later: the snippets rule is there. */
  teeRule: boolean
  snippetsDirs: string[]
  proof: AccountProof
}

export interface ProviderAccountReport {
  account: string
  keyFile: string
  fingerprint: string
  keyAction: AccountKey['action']
  idmap: boolean
  nodes: AccountNodeReport[]
}

export interface ProviderAccountRequest extends ReachRequest {
  account: string
  idmap: boolean
  /** --force: a new key pair replaces the vault's. */
  replaceKey: boolean
  /** The run's bootstrap session (on `node`). */
  session: SshSession
  vault: LoadedVault
  /** One step with progress and evidence. */
  step: <T>(label: string, run: () => Promise<T>) => Promise<T>
  /** Registers a secret with the run's redactor. */
  secret: (text: string) => void
}

/** Makes (or keeps) the account on every node and proves it there; see the file's comment. */
export async function setUpProviderAccount(request: ProviderAccountRequest): Promise<ProviderAccountReport> {
  const {account, inputs, layout, step} = request
  const nodes = accountNodes(request.node, inputs.host, request.members)
  const script = (mode: AccountScriptRequest['mode'], extra: Partial<AccountScriptRequest> = {}) => ({
    account,
    idmap: request.idmap,
    mode,
    sudo: inputs.sshSudo,
    ...extra,
  })
  const local = nodes[0]
  const localCheck = await step(`check the provider account on ${local.name}`, () =>
    runAccountScript(request.session, script('check', {hostKeys: true})),
  )
  if (localCheck.code !== 0) throw accountScriptError(local.name, 'check', localCheck)
  const reach = await reachCluster(request, localCheck.exports.CLUSTER_KNOWN_HOSTS_B64)
  const operator = {key: inputs.sshKey, operator: true, username: inputs.sshUsername}
  const sessions = new Map<string, SshSession>([[local.name, request.session]])
  const made: AccountNode[] = []
  try {
    // Every node is reached and checked before any is changed.
    for (const node of nodes.slice(1)) {
      const session = await step(`connect ${inputs.sshUsername}@${node.name} (${node.address})`, () =>
        reach.connect(node, operator),
      )
      sessions.set(node.name, session)
      const check = await step(`check the provider account on ${node.name}`, () =>
        runAccountScript(session, script('check')),
      )
      if (check.code !== 0) throw accountScriptError(node.name, 'check', check)
    }

    const key = await step('provider account key', () =>
      ensureAccountKey({
        account,
        file: providerKeyFile(layout),
        replace: request.replaceKey,
        secret: request.secret,
        vault: request.vault,
      }),
    )
    const reports: AccountNodeReport[] = []
    for (const node of nodes) {
      const result = await step(`provider account ${account} on ${node.name}`, () =>
        runAccountScript(sessions.get(node.name)!, script('apply', {publicKey: key.publicKey})),
      )
      if (result.code !== 0) throw accountScriptError(node.name, 'apply', result)
      if (result.exports.ACCOUNT_ACTION === 'created') made.push(node)
      reports.push(nodeReport(node, result.exports))
    }

    for (const report of reports) {
      const node = nodes.find((n) => n.name === report.name)!
      const session = await step(`connect ${account}@${node.name} with its own key`, () =>
        reach.connect(node, {key: key.privatePath, operator: false, username: account}),
      )
      try {
        report.proof = await step(`prove ${account} on ${node.name}`, () =>
          proveAccount(session, report.snippetsDirs, report.teeRule),
        )
      } finally {
        session.dispose()
      }

      checkProof(node.name, account, report.proof)
    }

    return {
      account,
      fingerprint: key.fingerprint,
      idmap: request.idmap,
      keyAction: key.action,
      keyFile: key.privatePath,
      nodes: reports,
    }
  } catch (error) {
    await takeBack(made, sessions, script('remove'))
    throw error
  } finally {
    for (const [name, session] of sessions) if (name !== local.name) session.dispose()
  }
}

/** Takes the account back from the nodes this run made it on (best effort: the first error is the one reported). */
async function takeBack(
  made: AccountNode[],
  sessions: Map<string, SshSession>,
  request: AccountScriptRequest,
): Promise<void> {
  for (const node of made) {
    const session = sessions.get(node.name)
    if (session) await runAccountScript(session, request).catch(() => undefined)
  }
}

function nodeReport(node: AccountNode, exports: Record<string, string>): AccountNodeReport {
  return {
    account: exports.ACCOUNT_ACTION === 'created' ? 'created' : 'kept',
    address: node.address,
    key: exports.KEY_ACTION === 'installed' ? 'installed' : 'kept',
    name: node.name,
    proof: {othersRefused: false, pvesm: false, qm: false},
    snippetsDirs: (exports.SNIPPETS_DIRS ?? '').split(/\s+/).filter(Boolean),
    sudoVersion: exports.SUDO_VERSION ?? '',
    sudoers: exports.SUDOERS_ACTION === 'written' ? 'written' : 'kept',
    teeRule: exports.TEE_RULE === '1',
  }
}

/** The step's request as the init run assembles it: all but the session and the run's own step wrapper. */
export function accountStepRequest(run: {
  account: string
  context: InitContext
  inputs: ProxmoxInputs
  route?: SshRoute
  runtime: MarkerDiscovery
  vault: LoadedVault
}): Omit<ProviderAccountRequest, 'session' | 'step'> {
  const {context, inputs} = run
  return {
    account: run.account,
    idmap: inputs.providerSshIdmap ?? false,
    inputs,
    layout: context.layout,
    members: run.runtime.clusterNodes,
    node: run.runtime.node,
    replaceKey: context.flags.force,
    route: run.route,
    secret: (text) => context.evidence.redactor.addSecret(text),
    vault: run.vault,
  }
}
