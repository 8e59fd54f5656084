import {describeExpiry, expiryFields} from '../../readiness/token-expiry.js'
import {processClock} from '../../time/clock.js'
import type {Summary} from '../../ux/summary.js'
import type {ProxmoxInitOutcome} from '../init/io.js'
import {markerPermissions, markerRuntime} from './marker.js'

const ACTIONS: Record<string, string> = {
  created: 'created on the host',
  kept: 'kept (secret from the vault)',
  reused: 'reused',
  renewed: 'renewed on the host (it was about to expire)',
  rotated: 'rotated on the host',
  'would-create': 'would be created if missing',
  'would-keep': 'would be kept',
  'would-rotate': 'would be rotated',
}

/** The end-of-run summary of `hyops init proxmox`: values with where each came from, then paths. */
export function proxmoxSummary(outcome: ProxmoxInitOutcome, now: Date = processClock().now()): Summary {
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
      ...(outcome.tokenExpire === undefined
        ? []
        : [{label: 'Token expiry', source: 'on the host', value: describeExpiry(outcome.tokenExpire, now)}]),
      ...permissionRows(outcome.permissions),
      ...(outcome.providerSsh
        ? [
            {
              label: 'Provider SSH',
              source: `proved on ${outcome.providerSsh.nodes.length} node(s)`,
              value: outcome.providerSsh.user,
            },
            {label: 'Provider key', source: 'its own, 0600', value: outcome.providerSsh.keyFile},
          ]
        : []),
      {label: 'Storage (VM disks)', source: runtime?.storageVmSource, value: runtime?.storageVm},
      {label: 'Storage (ISO)', source: runtime?.storageIsoSource, value: runtime?.storageIso},
      {label: 'Storage (snippets)', source: runtime?.storageSnippetsSource, value: runtime?.storageSnippets},
      {label: 'Bridge', source: runtime?.bridgeSource, value: runtime?.bridge},
    ],
    pathsTitle: 'Files:',
    title: 'Proxmox is ready for automation.',
    warnings: outcome.warnings,
  }
}

const ROLE_ACTIONS: Record<string, string> = {
  created: 'created',
  kept: 'in place',
  updated: 'brought up to date',
}

/**
 * The profile proved and where (the full lists are in --json, the marker and the evidence),
 * the role, the privileges this version lacks, and the old grants replaced.
 */
function permissionRows(p: ProxmoxInitOutcome['permissions']): Summary['rows'] {
  if (!p) return []
  return [
    {
      label: 'Privileges',
      source: `verified on ${p.paths.length} path${p.paths.length === 1 ? '' : 's'}`,
      value: `${p.profile} profile, ${p.privileges.length} privileges`,
    },
    {label: 'Role', source: p.roleAction ? ROLE_ACTIONS[p.roleAction] : undefined, value: p.role},
    ...(p.skipped.length > 0 ? [{label: 'Skipped', source: 'not on this version', value: p.skipped.join(', ')}] : []),
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
    ...(outcome.tokenExpire === undefined
      ? {}
      : {token_expire: outcome.tokenExpire, token_expire_iso: expiryFields(outcome.tokenExpire).expire_iso}),
    ...(outcome.providerSsh
      ? {
          provider_ssh: {
            key_file: outcome.providerSsh.keyFile,
            nodes: outcome.providerSsh.nodes,
            user: outcome.providerSsh.user,
          },
        }
      : {}),
    warnings: outcome.warnings ?? [],
    written: outcome.written,
  }
}
