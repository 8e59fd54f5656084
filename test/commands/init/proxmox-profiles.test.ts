// hyops init proxmox end to end against simulated Proxmox VE 7.4, 8 and 9: the main
// paths per profile (first run, re-run, --force, token reuse), then on a fresh pve8 install the
// snippets warning and --enable-snippets, deterministic discovery, the API address, the host's
// own certificate and the host states that must stop a run before it changes anything.
import assert from 'node:assert/strict'
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startPveSim, type PveSim, type SimProfile, type SimState} from '../../fixtures/pve-sim/index.js'
import {cleanupTempDirs, runCli, tempDir, unwrapped, type CliRun} from '../../helpers/cli.js'
import {
  apiStatus,
  freshTokenName,
  initProxmox,
  prepareRoot,
  readMarkerJson,
  readTfvars,
  secretLeaks,
  vaultValues,
  type ProxmoxRoot,
} from '../../helpers/proxmox-env.js'

const NO_STACK = /\n\s+at \S/
const OTHER_CA = new URL('../../fixtures/tls/other-ca.pem', import.meta.url).pathname
const VERSIONS: Record<SimProfile, string> = {'pve7.4': '7.4-17', pve8: '8.3.0', pve9: '9.0.3', 'pve9.1': '9.1.2'}
const LOCAL_CONTENT: Record<SimProfile, string> = {
  'pve7.4': 'iso,vztmpl,backup',
  pve8: 'iso,vztmpl,backup',
  pve9: 'iso,vztmpl,backup,import',
  'pve9.1': 'iso,vztmpl,backup,import',
}

/** A sim of one profile; 401s wait 50 ms instead of a real host's 3 s. */
function startProfile(profile: SimProfile, state: Partial<SimState> = {}): Promise<PveSim> {
  return startPveSim({profile, state: {auth_fail_delay_ms: 50, ...state}})
}

async function noLeaks(sim: PveSim, at: ProxmoxRoot, runs: CliRun[]): Promise<void> {
  const secrets = Object.values((await sim.readState()).tokens).map((t) => t.secret)
  assert.deepEqual(await secretLeaks(at, secrets, runs, await sim.execLog()), [])
}

function tokenChanges(log: string[][]): string[] {
  return log
    .filter((argv) => argv[0] === 'pveum' && argv[2] === 'token' && (argv[3] === 'add' || argv[3] === 'remove'))
    .map((argv) => argv.slice(0, 4).join(' '))
}

async function lastEvidence(at: ProxmoxRoot): Promise<Record<string, unknown>> {
  const dir = join(at.root, 'logs', 'init', 'proxmox')
  const metas = await Promise.all(
    (await readdir(dir)).map(
      async (run) => JSON.parse(await readFile(join(dir, run, 'meta.json'), 'utf8')) as Record<string, unknown>,
    ),
  )
  return metas.sort((x, y) => String(x.started_at).localeCompare(String(y.started_at))).at(-1)!
}

for (const profile of ['pve7.4', 'pve8', 'pve9'] as const) {
  describe(`hyops init proxmox against a fresh ${profile} install`, () => {
    let sim: PveSim
    before(async () => {
      sim = await startProfile(profile)
    })
    after(async () => {
      await sim?.stop()
    })

    it('first run, re-run, --force: ready, snippets warned about, token kept then rotated', async () => {
      const at = await prepareRoot(sim)
      const first = await initProxmox(at, ['--json'])
      assert.equal(first.code, 0, first.stderr)
      const result = JSON.parse(first.stdout) as Record<string, unknown>
      assert.equal(result.status, 'ready')
      assert.equal(result.proxmox_version, VERSIONS[profile])
      const warnings = result.warnings as Array<{code: string; message: string; fix: string}>
      assert.deepEqual(
        warnings.map((w) => w.code),
        ['snippets-fallback'],
      )
      assert.match(warnings[0].message, /no storage of node pve1 has the content type snippets/)
      assert.ok(warnings[0].fix.includes(`pvesm set local --content ${LOCAL_CONTENT[profile]},snippets`))
      const secret = (await sim.readState()).tokens[at.tokenId]?.secret
      assert.ok(secret)
      const tfvars = (await readTfvars(at)).values
      assert.equal(tfvars.storage_pool, 'local-lvm')
      assert.equal(tfvars.storage_iso, 'local')
      assert.equal(tfvars.storage_snippets, 'local')
      assert.equal(tfvars.proxmox_token_secret, secret)
      const marker = await readMarkerJson(at)
      assert.equal(marker?.status, 'ready', 'ready keeps its meaning: the credentials work')
      assert.equal(marker?.runtime?.storage_snippets_source, 'fallback')
      assert.equal(marker?.runtime?.storage_vm_source, 'detected')
      assert.deepEqual(
        marker?.warnings?.map((w) => w.code),
        ['snippets-fallback'],
      )
      // Storages came from storage.cfg: no pvesh started for them.
      assert.ok(!(await sim.execLog()).some((argv) => argv[0] === 'pvesh' && argv[2] === '/storage'))

      const status = await runCli(['init', 'status', '--root', at.root], {env: {HOME: at.home}})
      assert.equal(status.code, 0, status.stderr)
      assert.match(
        unwrapped(status.stdout),
        /proxmox: ready .* warning: no storage of node pve1 has the content type snippets/,
      )

      const from = (await sim.execLog()).length
      const again = await initProxmox(at)
      assert.equal(again.code, 0, again.stderr)
      assert.match(unwrapped(again.stdout), /Warning: - no storage of node pve1 has the content type snippets/)
      assert.deepEqual(tokenChanges((await sim.execLog()).slice(from)), [])
      assert.equal((await readMarkerJson(at))?.token?.action, 'kept')
      assert.equal((await readTfvars(at)).values.proxmox_token_secret, secret)

      const forced = await initProxmox(at, ['--force'])
      assert.equal(forced.code, 0, forced.stderr)
      const fresh = (await sim.readState()).tokens[at.tokenId]?.secret
      assert.ok(fresh && fresh !== secret)
      assert.equal(await apiStatus(sim, at.tokenId, secret), 401)
      assert.equal(await apiStatus(sim, at.tokenId, fresh), 200)
      assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, fresh)
      assert.equal((await readMarkerJson(at))?.token?.action, 'rotated')
      await noLeaks(sim, at, [first, again, forced])
    })

    it('token reuse: a sibling env without a secret takes the working one, no rotation', async () => {
      const home = await tempDir('hyops-home-')
      const envs = join(home, '.hybridops', 'envs')
      const tokenName = freshTokenName()
      const a = await prepareRoot(sim, {home, root: join(envs, 'a'), tokenName})
      const b0 = await prepareRoot(sim, {home, root: join(envs, 'b'), tokenName})
      const b = {...b0, password: a.password, passwordFile: a.passwordFile}
      const first = await initProxmox(a)
      assert.equal(first.code, 0, first.stderr)
      const secret = (await vaultValues(a)).PROXMOX_TOKEN_SECRET
      const from = (await sim.execLog()).length
      const run = await initProxmox(b, ['--non-interactive'])
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stderr, /Reusing the secret of .* from the env "a"/)
      assert.deepEqual(tokenChanges((await sim.execLog()).slice(from)), [])
      assert.equal((await vaultValues(b)).PROXMOX_TOKEN_SECRET, secret)
      assert.equal((await readMarkerJson(b))?.token?.action, 'reused')
    })
  })
}

describe('hyops init proxmox on pve8: snippets, determinism, API address, TLS, host states', () => {
  let sim: PveSim
  before(async () => {
    sim = await startProfile('pve8')
  })
  after(async () => {
    await sim?.stop()
    await cleanupTempDirs()
  })

  async function withState<T>(change: (s: SimState) => void, fn: () => Promise<T>): Promise<T> {
    const saved = await sim.readState()
    await sim.updateState(change)
    try {
      return await fn()
    } finally {
      await sim.updateState((s) => {
        const kept = {acls: s.acls, tokens: s.tokens, users: s.users}
        for (const key of Object.keys(s)) if (!(key in saved)) delete (s as unknown as Record<string, unknown>)[key]
        Object.assign(s, saved, kept)
      })
    }
  }

  it('--enable-snippets adds snippets to local with pvesm set, then storage_snippets is detected', async () => {
    await withState(
      () => {},
      async () => {
        const at = await prepareRoot(sim)
        const from = (await sim.execLog()).length
        const run = await initProxmox(at, ['--enable-snippets', '--json'])
        assert.equal(run.code, 0, run.stderr)
        const result = JSON.parse(run.stdout) as {warnings: unknown[]; runtime: Record<string, string>}
        assert.deepEqual(result.warnings, [])
        assert.equal(result.runtime.storage_snippets, 'local')
        assert.equal(result.runtime.storage_snippets_source, 'detected')
        const pvesm = (await sim.execLog()).slice(from).filter((argv) => argv[0] === 'pvesm')
        assert.deepEqual(pvesm, [['pvesm', 'set', 'local', '--content', 'iso,vztmpl,backup,snippets']])
        const local = (await sim.readState()).storages.find((s) => s.storage === 'local')
        assert.equal(local?.content, 'iso,vztmpl,backup,snippets')
        assert.match(await readFile(join(sim.pveEtcDir, 'storage.cfg'), 'utf8'), /content iso,vztmpl,backup,snippets/)
        const marker = await readMarkerJson(at)
        assert.equal(marker?.runtime?.storage_snippets_source, 'detected')
        assert.equal(marker?.warnings, undefined)
        const evidence = await lastEvidence(at)
        assert.deepEqual(evidence.snippets_enabled, {
          content_after: ['iso', 'vztmpl', 'backup', 'snippets'],
          content_before: ['iso', 'vztmpl', 'backup'],
          storage: 'local',
        })

        // Now the host has them: a plain run detects them and changes no storage.
        const again = await initProxmox(at, ['--json'])
        assert.equal(again.code, 0, again.stderr)
        assert.equal((JSON.parse(again.stdout) as typeof result).runtime.storage_snippets_source, 'detected')
      },
    )
  })

  it('a snippets storage naming no file-based storage is exit 20 before anything changed, in every form', async () => {
    const at = await prepareRoot(sim)
    const before = await readFile(sim.statePath, 'utf8')
    for (const form of [
      ['--enable-snippets=local-lvm'],
      ['--enable-snippets', 'local-lvm'],
      ['--snippets-storage', 'local-lvm'],
      ['--snippets-storage=local-lvm'],
    ]) {
      const run = await initProxmox(at, form)
      assert.equal(run.code, 20, `${form.join(' ')}: ${run.stderr}`)
      assert.match(run.stderr, /--enable-snippets=local-lvm: no enabled file-based storage .*: local\b/)
      assert.doesNotMatch(run.stderr, NO_STACK)
      assert.equal(await readFile(sim.statePath, 'utf8'), before, 'no user, token or storage changed')
    }
  })

  it('ten runs against a host listing storages in random order give byte-identical tfvars', async () => {
    const extra = [
      {storage: 'zz-nfs', type: 'nfs', content: 'iso,snippets,images', server: '10.0.0.9', export: '/x'},
      {storage: 'bb-dir', type: 'dir', content: 'snippets,vztmpl', path: '/srv/bb'},
      {storage: 'aa-off', type: 'dir', content: 'snippets,iso,images', path: '/srv/aa', disable: 1 as const},
      {storage: 'ab-other', type: 'dir', content: 'snippets', path: '/srv/ab', nodes: 'pve2,pve3'},
      {storage: 'cc-lvm', type: 'lvmthin', content: 'images', vgname: 'x', thinpool: 'y'},
    ]
    await withState(
      (s) => void s.storages.push(...extra),
      async () => {
        const at = await prepareRoot(sim)
        const texts = new Set<string>()
        for (let i = 0; i < 10; i++) {
          await sim.updateState((s) => void s.storages.sort(() => Math.random() - 0.5))
          const run = await initProxmox(at)
          assert.equal(run.code, 0, run.stderr)
          texts.add((await readTfvars(at)).text)
        }

        assert.equal(texts.size, 1)
        const values = (await readTfvars(at)).values
        // The installer's names where they qualify, else the smallest enabled id on this node.
        assert.deepEqual(
          [values.storage_pool, values.storage_iso, values.storage_snippets],
          ['local-lvm', 'local', 'bb-dir'],
        )
      },
    )
  })

  it('the reported address unreachable: proxmox_url on PROXMOX_IP; PROXMOX_API_HOST overrides', async () => {
    await withState(
      (s) => void (s.api_ip = '127.0.0.2'),
      async () => {
        const at = await prepareRoot(sim)
        const run = await initProxmox(at)
        assert.equal(run.code, 0, run.stderr)
        assert.equal((await readTfvars(at)).values.proxmox_url, `https://127.0.0.1:${sim.apiPort}/api2/json`)
        const marker = await readMarkerJson(at)
        assert.equal(marker?.runtime?.api_ip, '127.0.0.1')
        assert.equal(marker?.runtime?.api_ip_source, 'proxmox_ip')
        const evidence = (await lastEvidence(at)).api_address as {tried: Array<{host: string; probe: string}>}
        assert.deepEqual(
          evidence.tried.map((t) => [t.host, t.probe]),
          [
            ['127.0.0.2', 'unreachable'],
            ['127.0.0.1', 'ok'],
          ],
        )

        const named = await initProxmox(at, [], {HYOPS_PROXMOX_API_HOST: 'localhost'})
        assert.equal(named.code, 0, named.stderr)
        assert.equal((await readTfvars(at)).values.proxmox_url, `https://localhost:${sim.apiPort}/api2/json`)
        assert.equal((await readMarkerJson(at))?.runtime?.api_ip_source, 'api_host')
      },
    )
  })

  it("the host's own certificate: TLS_SKIP=false passes with its issuer in the system store", async () => {
    await withState(
      (s) => void (s.faults.own_certificate = true),
      async () => {
        const at = await prepareRoot(sim, {extraConfig: {TLS_SKIP: 'false'}})
        const refused = await initProxmox(at)
        assert.equal(refused.code, 21, refused.stderr)
        assert.match(refused.stderr, /serves its own certificate \(\/etc\/pve\/local\/pveproxy-ssl\.pem/)
        assert.doesNotMatch(refused.stderr, NO_STACK)

        const run = await initProxmox(at, [], {NODE_EXTRA_CA_CERTS: OTHER_CA})
        assert.equal(run.code, 0, run.stderr)
        assert.equal((await readTfvars(at)).values.proxmox_skip_tls, false)
        assert.equal((await readMarkerJson(at))?.status, 'ready')
      },
    )
  })

  it('cluster: the marker lists the nodes and addresses of /etc/pve/.members', async () => {
    const nodes = [
      {id: 1, ip: '127.0.0.1', name: 'pve1', online: 1 as const},
      {id: 2, ip: '10.0.0.12', name: 'pve2', online: 0 as const},
    ]
    await withState(
      (s) => void (s.cluster = {name: 'lab', nodes}),
      async () => {
        const at = await prepareRoot(sim)
        const from = (await sim.execLog()).length
        const run = await initProxmox(at)
        assert.equal(run.code, 0, run.stderr)
        assert.deepEqual((await readMarkerJson(at))?.runtime?.cluster_nodes, [
          {ip: '127.0.0.1', name: 'pve1', online: true},
          {ip: '10.0.0.12', name: 'pve2', online: false},
        ])
        const perl = (await sim.execLog()).slice(from).filter((argv) => argv[0] === 'pvesh')
        assert.deepEqual(perl, [], 'no pvesh call for storages or members')
      },
    )
  })

  /** A run that must stop with exit 20 naming `cause` and `fix`, the host's state file unchanged. */
  async function assertStops(at: ProxmoxRoot, env: Record<string, string>, cause: RegExp, fix: RegExp) {
    const before = await readFile(sim.statePath, 'utf8')
    const run = await initProxmox(at, [], env)
    assert.equal(run.code, 20, run.stderr)
    assert.match(run.stderr, cause)
    assert.match(run.stderr, fix)
    assert.doesNotMatch(run.stderr, NO_STACK)
    assert.equal(await readFile(sim.statePath, 'utf8'), before, 'nothing changed on the host')
  }

  it('a disabled API user: exit 20 naming it and pveum user modify --enable 1', async () => {
    const at = await prepareRoot(sim, {userFq: 'off@pve'})
    await withState(
      (s) => void (s.users['off@pve'] = {enable: 0}),
      () => assertStops(at, {}, /the API user off@pve is disabled/, /pveum user modify off@pve --enable 1/),
    )
  })

  it('an expired API user: exit 20 naming it and pveum user modify --expire 0', async () => {
    const at = await prepareRoot(sim, {userFq: 'old@pve'})
    await withState(
      (s) => void (s.users['old@pve'] = {enable: 1, expire: 1_000_000}),
      () => assertStops(at, {}, /the API user old@pve expired on/, /pveum user modify old@pve --expire 0/),
    )
  })

  it('a cluster without quorum: exit 20 naming the quorum and pvecm', async () => {
    const at = await prepareRoot(sim)
    const nodes = [
      {id: 1, ip: '127.0.0.1', name: 'pve1', online: 1 as const},
      {id: 2, ip: '10.0.0.12', name: 'pve2', online: 0 as const},
    ]
    await withState(
      (s) => {
        s.cluster = {name: 'lab', nodes}
        s.faults.no_quorum = true
      },
      () => assertStops(at, {}, /no quorum/, /pvecm expected 1/),
    )
  })

  it('a non-root SSH login: exit 20 naming root and PROXMOX_SSH_USERNAME', async () => {
    const at = await prepareRoot(sim)
    await withState(
      (s) => void (s.ssh_logins = ['admin']),
      () => assertStops(at, {HYOPS_PROXMOX_SSH_USERNAME: 'admin'}, /please run as root/, /PROXMOX_SSH_USERNAME = root/),
    )
  })

  it('an OVS bridge (state UNKNOWN) is detected; nothing changes on a re-run', async () => {
    const at = await prepareRoot(sim)
    assert.equal((await initProxmox(at)).code, 0)
    await withState(
      (s) =>
        void (s.interfaces = [
          {ifname: 'lo', operstate: 'UNKNOWN'},
          {ifname: 'eno1', operstate: 'UP', master: 'ovs-system'},
          {ifname: 'ovs-system', operstate: 'DOWN'},
          {ifname: 'vmbr1', operstate: 'UNKNOWN'},
        ]),
      async () => {
        const before = await readFile(sim.statePath, 'utf8')
        const run = await initProxmox(at, [], {HYOPS_PROXMOX_FALLBACK_BRIDGE: 'vmbr9'})
        assert.equal(run.code, 0, run.stderr)
        assert.equal((await readTfvars(at)).values.network_bridge, 'vmbr1')
        assert.equal((await readMarkerJson(at))?.runtime?.bridge_source, 'detected')
        assert.doesNotMatch(run.stdout, /bridge-missing|does not exist/)
        assert.equal(await readFile(sim.statePath, 'utf8'), before)
      },
    )
  })

  it('a fallback bridge missing on the host is a warning; nothing changes on a re-run', async () => {
    const at = await prepareRoot(sim)
    assert.equal((await initProxmox(at)).code, 0)
    await withState(
      (s) =>
        void (s.interfaces = [
          {ifname: 'lo', operstate: 'UNKNOWN'},
          {ifname: 'eno1', operstate: 'UP'},
          {ifname: 'vmbr0', operstate: 'DOWN'},
        ]),
      async () => {
        const before = await readFile(sim.statePath, 'utf8')
        const run = await initProxmox(at, ['--json'], {HYOPS_PROXMOX_FALLBACK_BRIDGE: 'vmbr9'})
        assert.equal(run.code, 0, run.stderr)
        const result = JSON.parse(run.stdout) as {warnings: Array<{code: string; message: string}>}
        const missing = result.warnings.find((w) => w.code === 'bridge-missing')
        assert.match(missing?.message ?? '', /fallback bridge "vmbr9" does not exist on the host/)
        assert.equal((await readMarkerJson(at))?.runtime?.bridge_source, 'fallback')
        assert.ok((await readMarkerJson(at))?.warnings?.some((w) => w.code === 'bridge-missing'))
        assert.equal(await readFile(sim.statePath, 'utf8'), before)
      },
    )
  })
})
