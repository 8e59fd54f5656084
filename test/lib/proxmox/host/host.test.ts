// The host-facts helpers of issue 12: cluster members, warnings, host-state causes and the API
// address choice (real TLS against a local server with the sim's certificate).
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {createServer, type Server} from 'node:https'
import {createServer as createNetServer} from 'node:net'
import {after, before, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {chooseApiAddress, probeApi} from '../../../../src/lib/proxmox/host/api-address.js'
import {hostStateCause} from '../../../../src/lib/proxmox/host/host-state.js'
import {clusterNodesFrom} from '../../../../src/lib/proxmox/host/members.js'
import {runWarnings} from '../../../../src/lib/proxmox/host/warnings.js'
import type {MarkerDiscovery} from '../../../../src/lib/proxmox/types.js'

const TLS = (name: string) => readFileSync(fileURLToPath(new URL(`../../../fixtures/tls/${name}`, import.meta.url)))
const b64 = (text: string) => Buffer.from(text).toString('base64')

const RUNTIME: MarkerDiscovery = {
  apiIp: '10.0.0.5',
  bridge: 'vmbr0',
  bridgeSource: 'detected',
  node: 'pve1',
  storageIso: 'local',
  storageIsoSource: 'detected',
  storageSnippets: 'local',
  storageSnippetsSource: 'detected',
  storageVm: 'local-lvm',
  storageVmSource: 'detected',
}

describe('clusterNodesFrom', () => {
  it('a lone node: itself with the reported address', () => {
    assert.deepEqual(clusterNodesFrom(b64('{\n"nodename": "pve1",\n"version": 3\n}\n'), 'pve1', '10.0.0.5'), [
      {ip: '10.0.0.5', name: 'pve1', online: true},
    ])
  })

  it('a cluster: every node of the nodelist, sorted, with its address and state', () => {
    const text =
      '{\n"nodename": "b",\n"version": 7,\n"cluster": { "name": "c", "version": 2, "nodes": 2, "quorate": 1 },\n' +
      '"nodelist": {\n  "b": { "id": 2, "online": 1, "ip": "10.0.0.2"},\n  "a": { "id": 1, "online": 0}\n  }\n}\n'
    assert.deepEqual(clusterNodesFrom(b64(text), 'b'), [
      {name: 'a', online: false},
      {ip: '10.0.0.2', name: 'b', online: true},
    ])
  })

  it('garbage: undefined', () => {
    assert.equal(clusterNodesFrom(b64('not json'), 'pve1'), undefined)
  })
})

describe('runWarnings', () => {
  it('none when everything was detected', () => {
    assert.deepEqual(runWarnings(RUNTIME), [])
  })

  it('snippets falling back name the storage, the candidate and the pvesm command', () => {
    const [warning] = runWarnings({
      ...RUNTIME,
      fileStorages: {local: ['iso', 'vztmpl', 'backup'], nfs: ['iso']},
      snippetsCandidate: 'local',
      storageSnippetsSource: 'fallback',
    })
    assert.equal(warning.code, 'snippets-fallback')
    assert.match(warning.message, /falls back to "local"/)
    assert.equal(
      warning.fix,
      're-run with --enable-snippets, or on the host: pvesm set local --content iso,vztmpl,backup,snippets',
    )
  })

  it('a fallback bridge missing or down', () => {
    const missing = runWarnings({...RUNTIME, bridgeFallbackState: 'missing', bridgeSource: 'fallback'})
    assert.deepEqual(
      missing.map((w) => w.code),
      ['bridge-missing'],
    )
    const down = runWarnings({...RUNTIME, bridgeFallbackState: 'DOWN', bridgeSource: 'fallback'})
    assert.match(down[0].message, /"vmbr0" is DOWN/)
  })
})

describe('hostStateCause', () => {
  it('names root, quorum, disabled and expired users; nothing for other failures', () => {
    assert.equal(hostStateCause('please run as root\n', 'admin', 'a@pve')?.reason, 'not-root')
    assert.match(hostStateCause('please run as root', 'admin', 'a@pve')!.hint, /logged in as admin/)
    assert.equal(hostStateCause("cfs-lock 'file-user_cfg' error: no quorum!", 'root', 'a@pve')?.reason, 'no-quorum')
    assert.equal(hostStateCause('the API user a@pve is disabled on the host', 'root', 'a@pve')?.reason, 'user-disabled')
    assert.equal(hostStateCause('user a@pve expired on Thu', 'root', 'a@pve')?.reason, 'user-expired')
    assert.equal(hostStateCause('connection refused', 'root', 'a@pve'), undefined)
  })
})

describe('chooseApiAddress', () => {
  let server: Server
  let port: number
  let closed: number
  before(async () => {
    server = createServer({cert: TLS('server.pem'), key: TLS('server-key.pem')}, (_req, res) => res.end())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as {port: number}).port
    const probe = createNetServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    closed = (probe.address() as {port: number}).port
    await new Promise((resolve) => probe.close(resolve))
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  it('probes: ok, unreachable, a name the certificate lacks, an unknown issuer', async () => {
    const ca = TLS('ca.pem').toString()
    assert.equal(await probeApi('127.0.0.1', port, false, ca), 'ok')
    assert.equal(await probeApi('127.0.0.1', closed, true), 'unreachable')
    assert.equal(await probeApi('127.0.0.1', port, false), 'tls', 'the sim CA is not in the system store')
    const other = TLS('own-server.pem').toString()
    assert.equal(await probeApi('localhost', port, false, other), 'tls')
  })

  it('PROXMOX_API_HOST wins untested; the reported address when it answers; else PROXMOX_IP', async () => {
    const inputs = {apiPort: port, host: '127.0.0.1', tlsSkip: true}
    assert.deepEqual(await chooseApiAddress({...inputs, apiHost: 'pve.example'}, '10.9.9.9', undefined), {
      apiIp: 'pve.example',
      source: 'api_host',
      tried: [],
    })
    const reported = await chooseApiAddress({...inputs, host: 'localhost'}, '127.0.0.1', undefined)
    assert.deepEqual([reported.apiIp, reported.source], ['127.0.0.1', 'reported'])
    const unreachable = await chooseApiAddress(inputs, '127.0.0.2', undefined)
    assert.deepEqual(
      unreachable.tried.map((t) => [t.host, t.probe]),
      [
        ['127.0.0.2', 'unreachable'],
        ['127.0.0.1', 'ok'],
      ],
    )
    assert.equal(unreachable.source, 'proxmox_ip')
  })
})
