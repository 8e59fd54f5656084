import type {Summary} from '../../ux/summary.js'
import type {ProxmoxInitOutcome} from '../init/io.js'
import {markerPermissions, markerRuntime} from './marker.js'

const ACTIONS: Record<string, string> = {
  created: 'created on the host',
  kept: 'kept (secret from the vault)',
  reused: 'reused',
  rotated: 'rotated on the host',
  'would-create': 'would be created if missing',
  'would-keep': 'would be kept',
  'would-rotate': 'would be rotated',
}

/** The end-of-run summary of `hyops init proxmox`: values with where each came from, then paths. */
export function proxmoxSummary(outcome: ProxmoxInitOutcome): Summary {
  const {inputs, runtime} = outcome
  if (outcome.status === 'dry-run') {
    return {
      paths: [],
      rows: [
        {label: 'Host', source: inputs.sources.host, value: `${inputs.sshUsername}@${inputs.host}:${inputs.sshPort}`},
        {label: 'Token id', source: ACTIONS[outcome.tokenAction], value: outcome.tokenId},
        ...(outcome.plan ?? []).map((line, i) => ({label: `Step ${i + 1}`, value: line})),
      ],
      title: 'Dry run: nothing was changed. hyops init proxmox would:',
    }
  }

  const origin =
    outcome.secretOrigin === 'credentials'
      ? 'kept (secret restored from the credentials file)'
      : outcome.secretOrigin?.startsWith('env:')
        ? `reused from env "${outcome.secretOrigin.slice('env:'.length)}"`
        : ACTIONS[outcome.tokenAction]
  return {
    paths: [
      {label: 'Credentials', path: outcome.paths.credentials},
      {label: outcome.written.includes(outcome.paths.vault) ? 'Vault' : 'Vault (unchanged)', path: outcome.paths.vault},
      {label: 'Marker', path: outcome.paths.marker},
      {label: 'Evidence', path: outcome.paths.evidenceDir},
    ],
    rows: [
      {
        label: 'Node',
        source: runtime?.node ? (outcome.remote ? 'detected' : 'marker') : undefined,
        value: runtime?.node,
      },
      {
        label: 'API URL',
        source: outcome.proxmoxVersion ? `validated, PVE ${outcome.proxmoxVersion}` : 'validated',
        value: outcome.apiUrl,
      },
      {label: 'Token id', source: origin, value: outcome.tokenId},
      ...permissionRows(outcome.permissions),
      {label: 'Storage (VM disks)', source: runtime?.storageVmSource, value: runtime?.storageVm},
      {label: 'Storage (ISO)', source: runtime?.storageIsoSource, value: runtime?.storageIso},
      {label: 'Storage (snippets)', source: runtime?.storageSnippetsSource, value: runtime?.storageSnippets},
      {label: 'Bridge', source: runtime?.bridgeSource, value: runtime?.bridge},
      ...(outcome.warnings ?? []).map((w) => ({label: 'Warning', source: `fix: ${w.fix}`, value: w.message})),
    ],
    pathsTitle: 'Files:',
    title: 'Proxmox is ready for automation.',
  }
}

const ROLE_ACTIONS: Record<string, string> = {
  created: 'created',
  kept: 'in place',
  updated: 'brought up to date',
}

/** The profile proved, where, and what happened to the role and the old grants. */
function permissionRows(p: ProxmoxInitOutcome['permissions']): Summary['rows'] {
  if (!p) return []
  const role = `role ${p.role}${p.roleAction ? ` ${ROLE_ACTIONS[p.roleAction]}` : ''}`
  const skipped = p.skipped.length > 0 ? `; not on this version: ${p.skipped.join(', ')}` : ''
  return [
    {
      label: 'Privileges',
      source: `verified on ${p.paths.join(', ')}`,
      value: `${p.profile} profile, ${p.privileges.length} privileges (${role}${skipped})`,
    },
    ...(p.legacyRemoved && p.legacyRemoved.length > 0
      ? [{label: 'Old grants', source: `replaced by ${p.role}`, value: `removed ${p.legacyRemoved.join(' ')}`}]
      : []),
  ]
}

/** The `--json` result of `hyops init proxmox`: snake_case like the marker, no secret. */
export function proxmoxResult(outcome: ProxmoxInitOutcome): {status: string; [field: string]: unknown} {
  const {paths} = outcome
  const runtime = outcome.runtime ? markerRuntime(outcome.runtime) : undefined
  return {
    api_url: outcome.apiUrl,
    paths: {
      config: paths.config,
      credentials: paths.credentials,
      evidence_dir: paths.evidenceDir,
      marker: paths.marker,
      vault: paths.vault,
    },
    permissions: outcome.permissions ? markerPermissions(outcome.permissions) : undefined,
    plan: outcome.plan,
    proxmox_version: outcome.proxmoxVersion,
    remote: outcome.remote,
    runtime,
    secret_origin: outcome.secretOrigin,
    status: outcome.status,
    target: 'proxmox',
    token_action: outcome.tokenAction,
    token_id: outcome.tokenId,
    warnings: outcome.warnings ?? [],
    written: outcome.written,
  }
}
