// The bootstrap's shell pieces one at a time: each sourced into real bash (after lib.sh) and one
// function called against the simulated host's commands, so discovery, the token rules and the
// ACLs are tested at the shell level, without the TypeScript that sends and reads them.
// Also: shellcheck (npm run lint) passes on the pieces and fails on a broken copy.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {copyFile, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {BOOTSTRAP_PIECES} from '../../../../src/lib/proxmox/bootstrap/script.js'
import {PROJECT_ROOT} from '../../../helpers/cli.js'
import {requireTool} from '../../../helpers/tools.js'
import {SIM_BIN_DIR} from '../../../fixtures/pve-sim/index.js'
import {renderPveEtc} from '../../../fixtures/pve-sim/lib/pve-etc.mjs'
import {defaultSimState, readSimState, type SimState, writeSimState} from '../../../fixtures/pve-sim/state.js'

const PIECES_DIR = join(PROJECT_ROOT, 'src', 'lib', 'proxmox', 'bootstrap', 'sh')
/** A profile for the role tests: VM.Monitor is unknown on 9, VM.GuestAgent.Audit before 9. */
const ROLE_PRIVS = ['Datastore.Audit', 'Sys.Audit', 'VM.Audit', 'VM.GuestAgent.Audit', 'VM.Monitor']
const PIECES = ['hoststate.sh', 'usercfg.sh', 'token.sh']
const TOKEN_STEPS = 'check_inputs; read_usercfg; check_user_state; ensure_user; apply_token_mode'

interface ShellRun {
  code: number
  stdout: string
  stderr: string
  exports: Record<string, string>
}

describe('bootstrap pieces (real bash, simulated commands)', {concurrency: 4}, () => {
  let root: string
  let count = 0

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hyops-bootstrap-pieces-'))
  })
  after(async () => {
    await rm(root, {force: true, recursive: true})
  })

  /** A host state file, with its /etc/pve (user.cfg, storage.cfg, ...) rendered beside it at `<state>.etc`. */
  async function simHost(state: Partial<SimState> = {}): Promise<string> {
    const path = join(root, `state-${++count}.json`)
    const full = {...defaultSimState(), ...state}
    await writeSimState(path, full)
    renderPveEtc(full, `${path}.etc`)
    return path
  }

  /** Sources lib.sh and `pieces`, sets `env`, then runs `calls` (shell text) under set -euo pipefail. */
  function runPieces(statePath: string, pieces: string[], calls: string, env: Record<string, string> = {}): ShellRun {
    const sources = ['lib.sh', ...pieces].map((piece) => `source ${JSON.stringify(join(PIECES_DIR, piece))}`)
    // The client protocol (check_go, await_kept on fd 3) is run.ts's, tested there: here the client always agrees.
    const kept = 'check_go() { :; }; await_kept() { :; }'
    const result = spawnSync('bash', ['-c', [...sources, kept, calls].join('\n')], {
      encoding: 'utf8',
      env: {
        FALLBACK_BRIDGE: 'vmbr0',
        FALLBACK_STORAGE_ISO: 'local',
        FALLBACK_STORAGE_VM: 'local-lvm',
        HYOPS_FRAME: 'f0f0',
        HYOPS_PVE_ETC: `${statePath}.etc`,
        HYOPS_SIM_STATE: statePath,
        LANG: 'C.UTF-8',
        PATH: [SIM_BIN_DIR, '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
        ROLE_PRIVS: ROLE_PRIVS.join(','),
        TOKEN_MODE: 'create',
        TOKEN_NAME: 'hyops',
        USER_FQ: 'hyops@pve',
        ...env,
      },
    })
    const exports: Record<string, string> = {}
    for (const line of result.stdout.split('\n')) {
      const match = /^EXPORT:f0f0:([A-Z0-9_]+)=(.*)$/.exec(line)
      if (match) exports[match[1]] = match[2]
    }
    return {code: result.status ?? 255, exports, stderr: result.stderr, stdout: result.stdout}
  }

  it('lists the pieces in the order the script is sent: lib.sh first, main.sh last', () => {
    assert.equal(BOOTSTRAP_PIECES[0], 'lib.sh')
    assert.equal(BOOTSTRAP_PIECES.at(-1), 'main.sh')
  })

  describe('discover.sh', () => {
    it('discover_storages: the fallback wins when it qualifies; a missing type falls back, said so', async () => {
      const state = await simHost({
        storages: [
          {content: 'iso,vztmpl,backup', storage: 'local', type: 'dir'},
          {content: 'images,rootdir', storage: 'local-lvm', type: 'lvmthin'},
          {content: 'images,iso', storage: 'tank', type: 'zfspool'},
        ],
      })
      const run = runPieces(state, ['discover.sh'], 'check_inputs; discover_node; discover_storages')
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.exports.NODE, 'pve1')
      assert.equal(run.exports.STORAGE_VM, 'local-lvm')
      assert.equal(run.exports.STORAGE_VM_SOURCE, 'detected')
      assert.equal(run.exports.STORAGE_ISO, 'local')
      assert.equal(run.exports.STORAGE_ISO_SOURCE, 'detected')
      assert.equal(run.exports.STORAGE_SNIPPETS, 'local')
      assert.equal(run.exports.STORAGE_SNIPPETS_SOURCE, 'fallback')
    })

    it('discover_bridge: an UP vmbr that is nobody port; a NIC naming it as master is not taken', async () => {
      const state = await simHost({
        interfaces: [
          {ifname: 'lo', operstate: 'UNKNOWN'},
          {ifname: 'eno1', master: 'vmbr1', operstate: 'UP'},
          {ifname: 'vmbr0', operstate: 'DOWN'},
          {ifname: 'vmbr1', operstate: 'UP'},
        ],
      })
      const run = runPieces(state, ['discover.sh'], 'check_inputs; discover_bridge')
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.exports.BRIDGE, 'vmbr1')
      assert.equal(run.exports.BRIDGE_SOURCE, 'detected')
    })

    // Storages for the order tests: several qualify for each type, listed in a random order.
    const MANY = [
      {content: 'images,iso,snippets', storage: 'zz-nfs', type: 'nfs'},
      {content: 'snippets,vztmpl', storage: 'bb-dir', type: 'dir'},
      {content: 'snippets,iso,images', disable: 1 as const, storage: 'aa-off', type: 'dir'},
      {content: 'snippets,images', nodes: 'pve2,pve3', storage: 'ab-elsewhere', type: 'dir'},
      {content: 'images', storage: 'cc-lvm', type: 'lvmthin'},
      {content: 'iso,vztmpl,backup', storage: 'local', type: 'dir'},
      {content: 'images,rootdir', storage: 'local-zfs', type: 'zfspool'},
    ]

    async function etcWith(state: Partial<SimState>): Promise<string> {
      const dir = join(root, `etc-${++count}`)
      renderPveEtc({...defaultSimState(), ...state}, dir)
      return dir
    }

    it('discover_storages reads storage.cfg, not pvesh; the pick does not depend on the order', async () => {
      const picks = new Set<string>()
      for (let i = 0; i < 6; i++) {
        const storages = [...MANY].sort(() => Math.random() - 0.5)
        const state = await simHost({storages, faults: {pvesh_fails: true}})
        const run = runPieces(state, ['discover.sh'], 'check_inputs; discover_node; discover_storages', {
          FALLBACK_STORAGE_VM: 'nope',
          HYOPS_PVE_ETC: await etcWith({storages}),
        })
        assert.equal(run.code, 0, run.stderr)
        picks.add([run.exports.STORAGE_VM, run.exports.STORAGE_ISO, run.exports.STORAGE_SNIPPETS].join(' '))
        assert.equal(
          run.exports.FILE_STORAGES,
          'bb-dir=snippets,vztmpl local=iso,vztmpl,backup zz-nfs=images,iso,snippets',
        )
      }
      // Installer names first (local-zfs, local), then the smallest enabled id on this node.
      assert.deepEqual([...picks], ['local-zfs local bb-dir'])
      const json = await simHost({storages: [...MANY].reverse()})
      const viaPvesh = runPieces(json, ['discover.sh'], 'check_inputs; discover_node; discover_storages', {
        FALLBACK_STORAGE_VM: 'nope',
      })
      assert.equal(
        [viaPvesh.exports.STORAGE_VM, viaPvesh.exports.STORAGE_ISO, viaPvesh.exports.STORAGE_SNIPPETS].join(' '),
        'local-zfs local bb-dir',
        'pvesh when storage.cfg cannot be read, same picks',
      )
    })

    it("discover_storages reads the installer's storage.cfg (bare flags) and offers snippets on local", async () => {
      const dir = join(root, `etc-${++count}`)
      await mkdir(dir, {recursive: true})
      const cfg = [
        'dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\tdisable\n',
        'btrfs: local-btrfs\n\tpath /var/lib/pve/local-btrfs\n\tcontent iso,vztmpl,backup,images,rootdir,import\n',
      ].join('\n')
      await writeFile(join(dir, 'storage.cfg'), cfg)
      const state = await simHost()
      const run = runPieces(state, ['discover.sh'], 'check_inputs; discover_node; discover_storages', {
        HYOPS_PVE_ETC: dir,
      })
      assert.equal(run.code, 0, run.stderr)
      assert.deepEqual(
        [run.exports.STORAGE_VM, run.exports.STORAGE_ISO, run.exports.STORAGE_SNIPPETS_SOURCE],
        ['local-btrfs', 'local-btrfs', 'fallback'],
        'the disabled local is not taken',
      )
      assert.equal(run.exports.SNIPPETS_CANDIDATE, 'local-btrfs')
    })

    it('discover_bridge: an OVS bridge (UNKNOWN) counts; a missing fallback is reported', async () => {
      const ovs = await simHost({
        interfaces: [
          {ifname: 'lo', operstate: 'UNKNOWN'},
          {ifname: 'vmbr10', operstate: 'UNKNOWN'},
          {ifname: 'vmbr2', operstate: 'UP'},
        ],
      })
      const run = runPieces(ovs, ['discover.sh'], 'check_inputs; discover_bridge', {FALLBACK_BRIDGE: 'vmbr10'})
      assert.deepEqual([run.exports.BRIDGE, run.exports.BRIDGE_SOURCE], ['vmbr10', 'detected'])
      const byNumber = runPieces(ovs, ['discover.sh'], 'check_inputs; discover_bridge', {FALLBACK_BRIDGE: 'x'})
      assert.equal(byNumber.exports.BRIDGE, 'vmbr2', 'vmbr2 before vmbr10')
      const none = await simHost({
        interfaces: [
          {ifname: 'lo', operstate: 'UNKNOWN'},
          {ifname: 'vmbr0', operstate: 'DOWN'},
        ],
      })
      const missing = runPieces(none, ['discover.sh'], 'check_inputs; discover_bridge', {FALLBACK_BRIDGE: 'vmbr9'})
      assert.deepEqual(
        [missing.exports.BRIDGE, missing.exports.BRIDGE_SOURCE, missing.exports.BRIDGE_FALLBACK_STATE],
        ['vmbr9', 'fallback', 'missing'],
      )
      const down = runPieces(none, ['discover.sh'], 'check_inputs; discover_bridge', {FALLBACK_BRIDGE: 'vmbr0'})
      assert.equal(down.exports.BRIDGE_FALLBACK_STATE, 'DOWN')
    })

    it('discover_host: own certificate and .members, read without any PVE tool', async () => {
      const nodes = [{id: 1, ip: '10.0.0.11', name: 'pve1'}]
      const etc = await etcWith({cluster: {name: 'lab', nodes}, faults: {own_certificate: true}})
      const state = await simHost()
      const run = runPieces(state, ['discover.sh'], 'check_inputs; discover_host', {HYOPS_PVE_ETC: etc})
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.exports.OWN_CERT, '1')
      const members = JSON.parse(Buffer.from(run.exports.MEMBERS_B64, 'base64').toString('utf8'))
      assert.deepEqual(members.nodelist, {pve1: {id: 1, ip: '10.0.0.11', online: 1}})
      assert.equal(members.cluster.quorate, 1)
      const plain = runPieces(state, ['discover.sh'], 'check_inputs; discover_host', {HYOPS_PVE_ETC: await etcWith({})})
      assert.equal(plain.exports.OWN_CERT, '0')
    })

    it('a failing pvesh stops discovery with a hyops-bootstrap line naming the command', async () => {
      const state = await simHost({faults: {pvesh_fails: true}})
      const run = runPieces(state, ['discover.sh'], 'check_inputs; discover_node; discover_storages', {
        HYOPS_PVE_ETC: join(root, 'no-etc'),
      })
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, /^hyops-bootstrap: cannot list storages \('pvesh get \/storage' failed\)$/m)
    })
  })

  describe('hoststate.sh', () => {
    it('check_quorum stops before any change without quorum, and not in read-only mode', async () => {
      const nodes = [
        {id: 1, name: 'pve1'},
        {id: 2, name: 'pve2'},
      ]
      const etc = join(root, `etc-${++count}`)
      renderPveEtc({...defaultSimState(), cluster: {name: 'lab', nodes}, faults: {no_quorum: true}}, etc)
      const state = await simHost()
      const run = runPieces(state, ['hoststate.sh'], 'check_inputs; check_quorum; echo went-on', {HYOPS_PVE_ETC: etc})
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, /^hyops-bootstrap: the cluster has no quorum.*pvecm expected 1/m)
      assert.doesNotMatch(run.stdout, /went-on/)
      const readOnly = runPieces(state, ['hoststate.sh'], 'check_inputs; check_quorum; echo went-on', {
        HYOPS_PVE_ETC: etc,
        READ_ONLY: '1',
      })
      assert.equal(readOnly.code, 0, readOnly.stderr)
    })

    it('ensure_user stops on a disabled or expired user, naming the fix', async () => {
      for (const [user, message] of [
        [{enable: 0 as const}, /hyops@pve is disabled on the host.*--enable 1/],
        [{enable: 1 as const, expire: 1000}, /hyops@pve expired on .*1970.*--expire 0/],
      ] as const) {
        const state = await simHost({users: {'hyops@pve': user, 'root@pam': {enable: 1}}})
        const before = await readFile(state, 'utf8')
        const run = runPieces(state, PIECES, TOKEN_STEPS)
        assert.notEqual(run.code, 0)
        assert.match(run.stderr, message)
        assert.equal(await readFile(state, 'utf8'), before)
      }
    })
  })

  describe('token.sh', () => {
    it('create mode: ensures the user, then makes the token and prints its secret once', async () => {
      const state = await simHost()
      const run = runPieces(state, PIECES, TOKEN_STEPS)
      assert.equal(run.code, 0, run.stderr)
      const host = await readSimState(state)
      assert.ok(host.users['hyops@pve'])
      assert.equal(run.exports.TOKEN_SECRET, host.tokens['hyops@pve!hyops'].secret)
    })

    it('keep mode never makes a token, and an existing token is reported with its privsep', async () => {
      const state = await simHost()
      runPieces(state, PIECES, TOKEN_STEPS)
      const before = await readFile(state, 'utf8')
      const run = runPieces(state, PIECES, `${TOKEN_STEPS}; echo "privsep=$TOKEN_PRIVSEP_NOW"`, {TOKEN_MODE: 'keep'})
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.exports.TOKEN_SECRET, undefined)
      assert.match(run.stdout, /^privsep=0$/m)
      assert.equal(await readFile(state, 'utf8'), before)
    })

    it('rotate mode: says TOKEN_REMOVED before the new secret, and the old secret is gone', async () => {
      const state = await simHost()
      runPieces(state, PIECES, TOKEN_STEPS)
      const old = (await readSimState(state)).tokens['hyops@pve!hyops'].secret
      const run = runPieces(state, PIECES, TOKEN_STEPS, {
        TOKEN_MODE: 'rotate',
      })
      assert.equal(run.code, 0, run.stderr)
      assert.ok(run.stdout.indexOf('EXPORT:f0f0:TOKEN_REMOVED=1') < run.stdout.indexOf('EXPORT:f0f0:TOKEN_SECRET='))
      assert.notEqual(run.exports.TOKEN_SECRET, old)
      assert.equal((await readSimState(state)).tokens['hyops@pve!hyops'].secret, run.exports.TOKEN_SECRET)
    })

    it('READ_ONLY=1 changes nothing, even for a missing user', async () => {
      const state = await simHost()
      const before = await readFile(state, 'utf8')
      const run = runPieces(state, PIECES, TOKEN_STEPS, {
        READ_ONLY: '1',
      })
      assert.equal(run.code, 0, run.stderr)
      assert.equal(await readFile(state, 'utf8'), before)
    })
  })

  describe('usercfg.sh and role.sh', () => {
    const ROLE_STEPS = 'check_inputs; read_usercfg; plan_role; ensure_role; ensure_grants; report_role'
    it('first call: role list, role add, acl modify /; a second call only asks for the role list', async () => {
      for (const profile of ['pve8', 'pve9'] as const) {
        const state = await simHost({
          profile,
          tokens: {'hyops@pve!hyops': {expire: 0, privsep: 0, secret: 'not-read-here'}},
          users: {'hyops@pve': {enable: 1}, 'root@pam': {enable: 1}},
        })
        const first = runPieces(state, ['usercfg.sh', 'role.sh'], `TOKEN_CHANGED=0; ${ROLE_STEPS}`)
        assert.equal(first.code, 0, first.stderr)
        const host = await readSimState(state)
        const known = profile === 'pve9' ? 'VM.GuestAgent.Audit' : 'VM.Monitor'
        const unknown = profile === 'pve9' ? 'VM.Monitor' : 'VM.GuestAgent.Audit'
        assert.deepEqual(host.custom_roles, {
          HyopsAutomation: ['Datastore.Audit', 'Sys.Audit', 'VM.Audit', known].join(','),
        })
        assert.deepEqual(
          host.acls.map((a) => `${a.type} ${a.ugid} ${a.path} ${a.roles.join(',')} ${a.propagate ?? 1}`),
          ['user hyops@pve / HyopsAutomation 1'],
          'privilege separation is off: the user alone holds the role',
        )
        assert.equal(first.exports.ROLE_ACTION, 'created')
        assert.equal(first.exports.ROLE_SKIPPED, unknown)
        assert.equal(first.exports.GRANT_ACTION, 'granted')
        const log = join(`${state}.etc`, '..', 'calls.log')
        const again = runPieces(
          state,
          ['usercfg.sh', 'role.sh'],
          `pveum() { echo "$*" >>${JSON.stringify(log)}; command pveum "$@"; }; TOKEN_CHANGED=0; ${ROLE_STEPS}`,
        )
        assert.equal(again.code, 0, again.stderr)
        const made = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean)
        assert.deepEqual(made, ['role list --output-format json'], 'a re-run asks only which privileges the host knows')
        assert.equal(again.exports.ROLE_ACTION, 'kept')
        assert.equal(again.exports.GRANT_ACTION, 'kept')
        await rm(log, {force: true})
      }
    })

    it('a role whose privileges differ is brought up to date; old grants go once the role holds', async () => {
      const state = await simHost({
        acls: [
          {path: '/', propagate: 1, roles: ['PVEAuditor', 'PVEVMAdmin'], type: 'user', ugid: 'hyops@pve'},
          {path: '/', propagate: 1, roles: ['PVEAuditor', 'PVEVMAdmin'], type: 'token', ugid: 'hyops@pve!hyops'},
          {path: '/storage', propagate: 1, roles: ['PVEDatastoreAdmin'], type: 'user', ugid: 'hyops@pve'},
          {path: '/sdn/zones', propagate: 1, roles: ['PVESDNUser'], type: 'token', ugid: 'hyops@pve!hyops'},
          {path: '/vms/100', propagate: 1, roles: ['PVEVMUser'], type: 'user', ugid: 'hyops@pve'},
        ],
        custom_roles: {HyopsAutomation: 'VM.Audit'},
        profile: 'pve8',
        tokens: {'hyops@pve!hyops': {expire: 0, privsep: 0, secret: 'not-read-here'}},
        users: {'hyops@pve': {enable: 1}, 'root@pam': {enable: 1}},
      })
      const run = runPieces(state, ['usercfg.sh', 'role.sh'], `TOKEN_CHANGED=0; ${ROLE_STEPS}`)
      assert.equal(run.code, 0, run.stderr)
      const host = await readSimState(state)
      assert.equal(host.custom_roles?.HyopsAutomation, 'Datastore.Audit,Sys.Audit,VM.Audit,VM.Monitor')
      assert.deepEqual(
        host.acls.map((a) => `${a.type} ${a.ugid} ${a.path} ${[...a.roles].sort().join(',')}`).sort(),
        ['user hyops@pve / HyopsAutomation', 'user hyops@pve /vms/100 PVEVMUser'],
        'only the role on / and the grant hyops did not make remain',
      )
      assert.equal(run.exports.ROLE_ACTION, 'updated')
      assert.equal(
        run.exports.LEGACY_REMOVED,
        '/=PVEAuditor,PVEVMAdmin /sdn/zones=PVESDNUser /storage=PVEDatastoreAdmin',
      )
    })

    it('TOKEN_PRIVSEP: the token gets the role too; a custom privilege the host lacks stops first', async () => {
      const state = await simHost({
        profile: 'pve9',
        tokens: {'hyops@pve!hyops': {expire: 0, privsep: 1, secret: 'not-read-here'}},
        users: {'hyops@pve': {enable: 1}, 'root@pam': {enable: 1}},
      })
      const strict = runPieces(state, ['usercfg.sh', 'role.sh'], `TOKEN_CHANGED=0; ${ROLE_STEPS}`, {ROLE_STRICT: '1'})
      assert.notEqual(strict.code, 0)
      assert.match(strict.stderr, /PRIVILEGES names privileges this Proxmox VE does not know: VM\.Monitor/)
      assert.equal((await readSimState(state)).custom_roles, undefined, 'nothing was changed')
      const run = runPieces(state, ['usercfg.sh', 'role.sh'], `TOKEN_CHANGED=0; ${ROLE_STEPS}`, {WANT_PRIVSEP: '1'})
      assert.equal(run.code, 0, run.stderr)
      assert.deepEqual(
        (await readSimState(state)).acls.map((a) => `${a.type} ${a.ugid} ${a.path} ${a.roles.join(',')}`).sort(),
        ['token hyops@pve!hyops / HyopsAutomation', 'user hyops@pve / HyopsAutomation'],
      )
    })
  })

  describe('shellcheck (npm run lint)', () => {
    const lintShell = join(PROJECT_ROOT, 'scripts', 'lint-shell.mjs')

    before(() => requireTool('shellcheck', 'shellcheck'))

    it('passes on every piece of the bootstrap', () => {
      const files = BOOTSTRAP_PIECES.map((piece) => join(PIECES_DIR, piece))
      const result = spawnSync(process.execPath, [lintShell, ...files], {encoding: 'utf8'})
      assert.equal(result.status, 0, result.stdout + result.stderr)
    })

    it('fails on a deliberately broken copy, naming the finding', async () => {
      const broken = join(root, 'discover.sh')
      await copyFile(join(PIECES_DIR, 'discover.sh'), broken)
      const text = await readFile(broken, 'utf8')
      await writeFile(broken, text.replace('local name\n', 'local name\n  cd $HYOPS_PVE_ETC\n'))
      const result = spawnSync(process.execPath, [lintShell, broken], {encoding: 'utf8'})
      assert.notEqual(result.status, 0)
      assert.match(result.stdout, /SC2086/)
    })
  })
})
