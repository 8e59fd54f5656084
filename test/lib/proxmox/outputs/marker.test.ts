import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {after, describe, it} from 'node:test'

import {readMarker, writeMarker} from '../../../../src/lib/readiness/marker.js'
import {RuntimeLayout} from '../../../../src/lib/runtime/layout.js'
import {buildProxmoxMarker, discoveryFromMarker} from '../../../../src/lib/proxmox/outputs/marker.js'
import type {MarkerDiscovery} from '../../../../src/lib/proxmox/types.js'
import {cleanupTempDirs, tempDir} from '../../../helpers/cli.js'

after(cleanupTempDirs)

const RUNTIME: MarkerDiscovery = {
  apiIp: '10.0.0.5',
  bridge: 'vmbr0',
  bridgeSource: 'detected',
  node: 'pve1',
  storageIso: 'local',
  storageIsoSource: 'detected',
  storageSnippets: 'local',
  storageSnippetsSource: 'fallback',
  storageVm: 'local-lvm',
  storageVmSource: 'detected',
}

const PATHS = {
  config: '/r/config/proxmox.conf',
  credentials: '/r/credentials/proxmox.credentials.tfvars',
  evidenceDir: '/r/logs/init/proxmox/x',
  vault: '/r/vault/bootstrap.vault.env',
}

describe('buildProxmoxMarker', () => {
  it('has the fields the Python hyops wrote, plus token info', () => {
    const marker = buildProxmoxMarker({
      generatedAt: new Date('2026-01-02T03:04:05Z'),
      paths: PATHS,
      runId: 'init-proxmox-20260102T030405Z-0123abcd',
      runtime: RUNTIME,
      sshPublicKey: 'ssh-ed25519 AAAA ops@host',
      status: 'ready',
      token: {action: 'reused', fromEnv: 'lab', id: 'automation@pam!infra-token'},
    })
    assert.deepEqual(marker, {
      context: {ssh_public_key: 'ssh-ed25519 AAAA ops@host'},
      generated_at: '2026-01-02T03:04:05.000Z',
      paths: {
        config: PATHS.config,
        credentials: PATHS.credentials,
        evidence_dir: PATHS.evidenceDir,
        vault: PATHS.vault,
      },
      run_id: 'init-proxmox-20260102T030405Z-0123abcd',
      runtime: {
        api_ip: '10.0.0.5',
        bridge: 'vmbr0',
        bridge_source: 'detected',
        node: 'pve1',
        storage_iso: 'local',
        storage_iso_source: 'detected',
        storage_snippets: 'local',
        storage_snippets_source: 'fallback',
        storage_vm: 'local-lvm',
        storage_vm_source: 'detected',
      },
      status: 'ready',
      target: 'proxmox',
      token: {action: 'reused', from_env: 'lab', id: 'automation@pam!infra-token'},
    })
  })

  it('a failed marker carries its reason; optional parts are left out', () => {
    const marker = buildProxmoxMarker({
      paths: PATHS,
      reason: 'token rotated, then validation failed',
      runId: 'r',
      status: 'failed',
    })
    assert.equal(marker.status, 'failed')
    assert.equal(marker.reason, 'token rotated, then validation failed')
    assert.equal(marker.runtime, undefined)
    assert.equal('token' in marker, false)
    assert.deepEqual(marker.context, {ssh_public_key: ''})
    assert.ok(!Number.isNaN(Date.parse(marker.generated_at)))
  })

  it('round-trips through the readiness writer and back into discovery', async () => {
    const layout = new RuntimeLayout(await tempDir())
    await layout.ensure()
    const marker = buildProxmoxMarker({paths: PATHS, runId: 'r1', runtime: RUNTIME, status: 'ready'})
    await writeMarker(layout, marker)
    assert.deepEqual(JSON.parse(await readFile(layout.markerFile('proxmox'), 'utf8')), marker)
    assert.deepEqual(discoveryFromMarker(await readMarker(layout, 'proxmox')), RUNTIME)
  })
})

describe('discoveryFromMarker', () => {
  const FALLBACKS = {apiIp: '10.9.9.9', bridge: 'vmbr9', storageIso: 'iso9', storageSnippets: 'snip9', storageVm: 'vm9'}

  it('reads a marker the Python hyops wrote', () => {
    const python = {
      context: {ssh_public_key: ''},
      generated_at: '2025-05-01T10:00:00+00:00',
      paths: {},
      run_id: 'init-proxmox-x',
      runtime: {
        api_ip: '192.168.1.5',
        bridge: 'vmbr1',
        bridge_source: 'detected',
        node: 'hv1',
        storage_iso: 'nas',
        storage_iso_source: 'fallback',
        storage_snippets: 'nas',
        storage_snippets_source: 'fallback',
        storage_vm: 'zfs',
        storage_vm_source: 'detected',
      },
      status: 'ready',
      target: 'proxmox',
    }
    assert.deepEqual(discoveryFromMarker(python), {
      apiIp: '192.168.1.5',
      bridge: 'vmbr1',
      bridgeSource: 'detected',
      node: 'hv1',
      storageIso: 'nas',
      storageIsoSource: 'fallback',
      storageSnippets: 'nas',
      storageSnippetsSource: 'fallback',
      storageVm: 'zfs',
      storageVmSource: 'detected',
    })
  })

  it('is undefined without a node, or without values and fallbacks', () => {
    assert.equal(discoveryFromMarker(undefined), undefined)
    assert.equal(discoveryFromMarker({status: 'ready'}), undefined)
    assert.equal(discoveryFromMarker({runtime: {api_ip: '1.2.3.4', node: ''}}, FALLBACKS), undefined)
    assert.equal(discoveryFromMarker({runtime: {api_ip: '1.2.3.4', node: 'n'}}), undefined)
    assert.equal(discoveryFromMarker({runtime: 'garbage'}, FALLBACKS), undefined)
  })

  it('fills what an older marker lacks from the fallbacks, with source fallback', () => {
    const found = discoveryFromMarker(
      {runtime: {bridge: 'vmbr2', bridge_source: 'weird', node: 'n1', storage_vm: 42}},
      FALLBACKS,
    )
    assert.deepEqual(found, {
      apiIp: '10.9.9.9',
      bridge: 'vmbr2',
      bridgeSource: 'fallback',
      node: 'n1',
      storageIso: 'iso9',
      storageIsoSource: 'fallback',
      storageSnippets: 'snip9',
      storageSnippetsSource: 'fallback',
      storageVm: 'vm9',
      storageVmSource: 'fallback',
    })
  })
})
