// What a run records about the provider account (the marker's `provider_ssh`), what the tfvars hand over, and the
// warning of a node whose sudo is too old for the snippets rule.
import {ExitCode, HyopsError} from '../../errors.js'
import type {RunWarning} from '../types.js'
import type {ProviderAccountReport} from './setup.js'

/** `marker.provider_ssh`: the account, its key's fingerprint and file, and each node's result. */
export interface ProviderSshMarker {
  user: string
  key_file: string
  fingerprint: string
  idmap: boolean
  nodes: Array<{
    name: string
    address: string
    account: string
    key: string
    sudoers: string
    sudo_version: string
    tee_rule: boolean
    snippets_dirs: string[]
    proof: {pvesm: boolean; qm: boolean; others_refused: boolean; snippets?: boolean}
  }>
}

/** What the tfvars name: the account, its key file and node name → address. */
export interface ProviderAccountHandover {
  username: string
  keyFile: string
  nodes: Record<string, string>
}

export function accountMarker(report: ProviderAccountReport): ProviderSshMarker {
  return {
    fingerprint: report.fingerprint,
    idmap: report.idmap,
    key_file: report.keyFile,
    nodes: report.nodes.map((node) => ({
      account: node.account,
      address: node.address,
      key: node.key,
      name: node.name,
      proof: {
        others_refused: node.proof.othersRefused,
        pvesm: node.proof.pvesm,
        qm: node.proof.qm,
        ...(node.proof.snippets === undefined ? {} : {snippets: node.proof.snippets}),
      },
      snippets_dirs: node.snippetsDirs,
      sudo_version: node.sudoVersion,
      sudoers: node.sudoers,
      tee_rule: node.teeRule,
    })),
    user: report.account,
  }
}

export function handoverOf(report: ProviderAccountReport): ProviderAccountHandover {
  return {
    keyFile: report.keyFile,
    nodes: Object.fromEntries(report.nodes.map((node) => [node.name, node.address])),
    username: report.account,
  }
}

/** The account an earlier run recorded for `user`, for a run without the remote bootstrap; else undefined. */
export function handoverFromMarker(marker: unknown, user: string): ProviderAccountHandover | undefined {
  const recorded = (marker as {provider_ssh?: Partial<ProviderSshMarker>} | undefined)?.provider_ssh
  if (!recorded || recorded.user !== user || typeof recorded.key_file !== 'string' || !Array.isArray(recorded.nodes))
    return undefined
  const nodes = recorded.nodes.filter((node) => typeof node?.name === 'string' && typeof node.address === 'string')
  return {
    keyFile: recorded.key_file,
    nodes: Object.fromEntries(nodes.map((node) => [node.name, node.address])),
    username: user,
  }
}

/** A node whose sudo takes no regular expressions got no snippets rule: say what that costs. */
export function accountWarnings(report: ProviderAccountReport): RunWarning[] {
  return report.nodes
    .filter((node) => !node.teeRule)
    .map((node) => ({
      code: 'provider-ssh-no-tee' as const,
      fix: `upgrade sudo on ${node.name} to 1.9.10 or later (PVE 8 ships 1.9.13) and re-run`,
      message:
        `sudo ${node.sudoVersion} on ${node.name} takes no regular expressions, so ${report.account} got no tee ` +
        `rule there: bpg cannot upload snippets to ${node.name} over SSH`,
    }))
}

/** One line for the operator: the account, where it is, its key. */
export function accountNote(report: ProviderAccountReport): string {
  const nodes = report.nodes.map((node) => `${node.name} (${node.account})`).join(', ')
  return `Provider SSH account ${report.account} on ${nodes}, proved; key ${report.fingerprint} in ${report.keyFile}`
}

/**
 * What a run hands over for PROVIDER_SSH_USER: the account this run made or kept (`report`), else the one the
 * previous marker records for it (a run without the remote bootstrap). Exit 20 when the account is wanted but on
 * no node yet: the operator's key is never handed out in its place.
 */
export function accountOutputs(
  user: string | undefined,
  report: ProviderAccountReport | undefined,
  previousMarker: unknown,
): {handover?: ProviderAccountHandover; marker?: ProviderSshMarker; warnings: RunWarning[]} {
  if (report) return {handover: handoverOf(report), marker: accountMarker(report), warnings: accountWarnings(report)}
  if (!user) return {warnings: []}
  const handover = handoverFromMarker(previousMarker, user)
  if (!handover)
    throw new HyopsError(ExitCode.Remote, `PROVIDER_SSH_USER=${user} is not on the nodes yet`, {
      hint: 'run without --no-remote so the account is made on every node',
      reason: 'account-needs-remote',
    })
  return {handover, marker: (previousMarker as {provider_ssh?: ProviderSshMarker}).provider_ssh, warnings: []}
}

/** Whether a run may go without the nodes: no PROVIDER_SSH_USER, or the marker records that account. */
export function accountRecorded(user: string | undefined, previousMarker: unknown): boolean {
  return !user || handoverFromMarker(previousMarker, user) !== undefined
}
