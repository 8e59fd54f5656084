// The bootstrap script run by real bash against the simulated host's commands (no SSH), with
// stubs in front of them for what a real Proxmox shows and the simulator does not (disabled
// or node-bound storages, an FQDN hostname, privsep as a string, failing commands).
import assert from 'node:assert/strict'
import {copyFile, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {HyopsError} from '../../../../src/lib/errors.js'
import {runRemoteBootstrap} from '../../../../src/lib/proxmox/bootstrap/run.js'
import type {TokenMode} from '../../../../src/lib/proxmox/types.js'
import {PROJECT_ROOT} from '../../../helpers/cli.js'
import {SIM_BIN_DIR} from '../../../fixtures/pve-sim/index.js'
import {builtinRoles} from '../../../fixtures/pve-sim/lib/profiles.mjs'
import {renderUserCfg} from '../../../fixtures/pve-sim/lib/pve-etc.mjs'
import {defaultSimState, readSimState, type SimState, writeSimState} from '../../../fixtures/pve-sim/state.js'
import {localBashSession, testInputs, writeStub} from './helpers.js'

interface Host {
  dir: string
  statePath: string
  stubs: string
  stubLog: string
  run(
    tokenMode: TokenMode,
    options?: {
      wantCa?: boolean
      readOnly?: boolean
      onTokenSecret?: (secret: string) => Promise<void>
      inputs?: Parameters<typeof testInputs>[0]
      path?: string[]
    },
  ): ReturnType<typeof runRemoteBootstrap>
  state(): Promise<SimState>
  execLog(): Promise<string[][]>
}

describe('bootstrap script (real bash, simulated commands)', {concurrency: 4}, () => {
  let root: string
  let count = 0
  const CA = join(PROJECT_ROOT, 'test', 'fixtures', 'tls', 'ca.pem')

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hyops-bootstrap-script-'))
  })
  after(async () => {
    await rm(root, {force: true, recursive: true})
  })

  async function host(state: Partial<SimState> = {}, withCa = true): Promise<Host> {
    const dir = join(root, `host-${++count}`)
    const etc = join(dir, 'etc-pve')
    await mkdir(etc, {recursive: true})
    if (withCa) await copyFile(CA, join(etc, 'pve-root-ca.pem'))
    const statePath = join(dir, 'state.json')
    const initial = {...defaultSimState(), ...state}
    await writeSimState(statePath, initial)
    // user.cfg as pmxcfs has it (storage.cfg is left out, so that the pvesh stubs below are what is read).
    await writeFile(join(etc, 'user.cfg'), renderUserCfg(initial))
    const stubs = join(dir, 'stubs')
    await mkdir(stubs)
    const stubLog = join(dir, 'stub.log')
    const env = {HYOPS_PVE_ETC: etc, HYOPS_SIM_STATE: statePath, STUB_LOG: stubLog}
    return {
      dir,
      async execLog() {
        const text = await readFile(join(dir, 'exec.log'), 'utf8').catch(() => '')
        return text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as string[])
      },
      run: (tokenMode, options = {}) =>
        runRemoteBootstrap(localBashSession(options.path ?? [stubs, SIM_BIN_DIR], env), {
          inputs: testInputs(options.inputs),
          onTokenSecret: options.onTokenSecret,
          readOnly: options.readOnly,
          tokenMode,
          wantCa: options.wantCa ?? false,
        }),
      state: () => readSimState(statePath),
      statePath,
      stubLog,
      stubs,
    }
  }

  async function rejectsWithReason(
    promise: Promise<unknown>,
    reason: string,
    check?: (error: HyopsError) => void,
  ): Promise<void> {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof HyopsError, `not a HyopsError: ${String(error)}`)
      assert.equal(error.exitCode, 20)
      assert.equal(error.reason, reason, error.line)
      check?.(error)
      return true
    })
  }

  it('creates user and token, the managed role granted on / to the user, and reads the CA', async () => {
    const h = await host()
    const secrets: string[] = []
    const found = await h.run('create', {onTokenSecret: async (s) => void secrets.push(s), wantCa: true})
    const state = await h.state()
    assert.ok(state.users['hyops@pve'])
    assert.equal(state.tokens['hyops@pve!hyops'].privsep, 0)
    assert.equal(state.tokens['hyops@pve!hyops'].expire, 0)
    assert.equal(found.tokenSecret, state.tokens['hyops@pve!hyops'].secret)
    assert.deepEqual(secrets, [found.tokenSecret])
    assert.equal(found.tokenExisted, false)
    assert.equal(found.caPem, await readFile(CA, 'utf8'))
    const grants = state.acls
      .map((a) => `${a.type} ${a.ugid} ${a.path} ${[...a.roles].sort().join(',')} ${a.propagate}`)
      .sort()
    assert.deepEqual(grants, ['user hyops@pve / HyopsAutomation 1'])
    assert.ok(state.custom_roles?.HyopsAutomation?.includes('Sys.Modify'), 'the terraform profile')
    assert.equal(found.role?.action, 'created')
  })

  it('changes nothing on a re-run in keep mode (ACLs already there)', async () => {
    const h = await host()
    await h.run('create')
    const before = await readFile(h.statePath, 'utf8')
    const logged = (await h.execLog()).length
    const found = await h.run('keep')
    assert.equal(found.tokenExisted, true)
    assert.equal(found.tokenSecret, undefined)
    assert.equal(await readFile(h.statePath, 'utf8'), before)
    const calls = (await h.execLog()).slice(logged).map((argv) => argv.slice(0, 3).join(' '))
    assert.ok(!calls.some((c) => /modify|add|remove/.test(c)), calls.join('; '))
  })

  it('keep mode grants the role again (someone removed it) without making a token', async () => {
    const h = await host()
    await h.run('create')
    const {secret} = (await h.state()).tokens['hyops@pve!hyops']
    const emptied = {...(await h.state()), acls: []}
    await writeSimState(h.statePath, emptied)
    await writeFile(join(h.dir, 'etc-pve', 'user.cfg'), renderUserCfg(emptied))
    const found = await h.run('keep')
    const state = await h.state()
    assert.equal(found.tokenSecret, undefined)
    assert.equal(state.tokens['hyops@pve!hyops'].secret, secret)
    assert.deepEqual(
      state.acls.map((a) => `${a.path} ${a.ugid} ${a.roles.join(',')}`),
      ['/ hyops@pve HyopsAutomation'],
    )
    assert.equal(found.role?.grant, 'granted')
  })

  it('on a host that does not know SDN.Use (before 7.4) the role holds the rest; SDN.Use is skipped', async () => {
    const h = await host()
    const known = builtinRoles({}).Administrator.filter((p) => p !== 'SDN.Use')
    await writeStub(
      h.stubs,
      'pveum',
      `if [ "$1 $2" = "role list" ]; then ` +
        `echo '[{"roleid":"Administrator","privs":"${known.join(',')}","special":1}]'; exit 0; fi\n` +
        `exec ${SIM_BIN_DIR}/pveum "$@"`,
    )
    const found = await h.run('create')
    const role = (await h.state()).custom_roles?.HyopsAutomation ?? ''
    assert.ok(!role.split(',').includes('SDN.Use'), role)
    assert.ok(role.split(',').includes('VM.Allocate'), role)
    assert.deepEqual(found.role?.skipped, ['SDN.Use', 'VM.GuestAgent.Audit'])
  })

  it('chooses storages: not disabled, allowed on this node, the fallback when it qualifies', async () => {
    const h = await host()
    const storages = [
      {content: 'images,rootdir', disable: 1, storage: 'disabled-vm', type: 'lvmthin'},
      {content: 'images', nodes: 'pve7,pve8', storage: 'elsewhere', type: 'zfspool'},
      {content: 'rootdir,images', nodes: 'pve1', storage: 'mine', type: 'zfspool'},
      {content: 'iso,vztmpl', storage: 'first-iso', type: 'dir'},
      {content: 'backup,iso', storage: 'wanted-iso', type: 'nfs'},
      {content: 'snippets-not,backup', storage: 'nosnip', type: 'dir'},
    ]
    await writeStub(h.stubs, 'pvesh', `printf '%s\\n' '${JSON.stringify(storages)}'`)
    const found = await h.run('keep', {
      inputs: {fallbackStorageIso: 'wanted-iso', fallbackStorageSnippets: 'snips', fallbackStorageVm: 'disabled-vm'},
    })
    assert.deepEqual(
      [
        found.storageVm,
        found.storageVmSource,
        found.storageIso,
        found.storageIsoSource,
        found.storageSnippets,
        found.storageSnippetsSource,
      ],
      ['mine', 'detected', 'wanted-iso', 'detected', 'snips', 'fallback'],
    )
  })

  it('finds the first qualifying storage when the fallback does not qualify', async () => {
    const h = await host({
      storages: [
        {content: 'iso', storage: 'a', type: 'dir'},
        {content: 'images', storage: 'b', type: 'dir'},
        {content: 'iso,snippets', storage: 'c', type: 'dir'},
      ],
    })
    const found = await h.run('keep', {inputs: {fallbackStorageIso: 'nope'}})
    assert.deepEqual([found.storageVm, found.storageIso, found.storageSnippets], ['b', 'a', 'c'])
  })

  it("picks an UP vmbr bridge that is nobody's port, and the configured bridge when it is UP", async () => {
    const interfaces: SimState['interfaces'] = [
      {ifname: 'lo', operstate: 'UNKNOWN'},
      {ifname: 'eno1', master: 'vmbr0', operstate: 'UP'},
      {ifname: 'vmbr0', operstate: 'DOWN'},
      {ifname: 'vmbrport', master: 'vmbr0', operstate: 'UP'},
      {ifname: 'lan', operstate: 'UP'},
      {ifname: 'vmbr2', operstate: 'UP'},
    ]
    const h = await host({interfaces})
    const detected = await h.run('keep')
    assert.deepEqual([detected.bridge, detected.bridgeSource], ['vmbr2', 'detected'])
    const configured = await h.run('keep', {inputs: {fallbackBridge: 'lan'}})
    assert.deepEqual([configured.bridge, configured.bridgeSource], ['lan', 'detected'])
    const port = await h.run('keep', {inputs: {fallbackBridge: 'eno1'}})
    assert.deepEqual([port.bridge, port.bridgeSource], ['vmbr2', 'detected'])
  })

  it('falls back on the configured bridge when no bridge is UP', async () => {
    const h = await host({
      interfaces: [
        {ifname: 'eno1', master: 'vmbr0', operstate: 'UP'},
        {ifname: 'vmbr0', operstate: 'DOWN'},
      ],
    })
    const found = await h.run('keep', {inputs: {fallbackBridge: 'vmbr0'}})
    assert.deepEqual([found.bridge, found.bridgeSource], ['vmbr0', 'fallback'])
  })

  it('takes the node from an FQDN hostname and the first non-loopback IPv4 of hostname -i', async () => {
    const h = await host()
    await writeStub(
      h.stubs,
      'hostname',
      `if [ "\${1:-}" = -i ]; then echo 'fe80::1 127.0.1.1 192.168.7.7 10.0.0.9'; else echo pve9.example.com; fi`,
    )
    const found = await h.run('keep', {inputs: {host: 'pve9.example.com'}})
    assert.equal(found.node, 'pve9')
    assert.equal(found.apiIp, '192.168.7.7')
  })

  it('asks the bridge for its address when hostname -i only knows loopback', async () => {
    const h = await host({api_ip: '10.20.30.40'})
    await writeStub(h.stubs, 'hostname', `if [ "\${1:-}" = -i ]; then echo '127.0.1.1'; else echo pve1; fi`)
    const found = await h.run('keep', {inputs: {host: 'pve.lab'}})
    assert.equal(found.apiIp, '10.20.30.40')
    assert.ok((await h.execLog()).some((argv) => argv.join(' ') === 'ip -j -4 addr show dev vmbr0'))
  })

  it("reads an existing token and its privsep from user.cfg, not from 'pveum user token list'", async () => {
    const h = await host({
      tokens: {'hyops@pve!hyops': {expire: 0, privsep: 1, secret: 'old'}},
      users: {'hyops@pve': {}, 'root@pam': {}},
    })
    await writeStub(
      h.stubs,
      'pveum',
      `if [ "$1 $2 $3" = "user token list" ]; then ` +
        `echo '[{"tokenid":"other","privsep":0},{"tokenid":"hyops","privsep":"1","expire":"0"}]'; exit 0; fi\n` +
        `exec ${SIM_BIN_DIR}/pveum "$@"`,
    )
    const found = await h.run('create')
    assert.equal(found.tokenExisted, true)
    assert.equal(found.tokenSecret, undefined)
    assert.equal((await h.state()).tokens['hyops@pve!hyops'].secret, 'old')
  })

  it('read-only mode discovers and reports but changes nothing, even for rotate', async () => {
    const h = await host()
    const before = await readFile(h.statePath, 'utf8')
    const found = await h.run('rotate', {readOnly: true, wantCa: true})
    assert.equal(found.node, 'pve1')
    assert.equal(found.tokenExisted, false)
    assert.equal(found.tokenSecret, undefined)
    assert.ok(found.caPem)
    assert.equal(await readFile(h.statePath, 'utf8'), before)
    assert.ok(
      !(await h.execLog()).some(
        (argv) => ['add', 'modify', 'remove'].includes(argv[2]) || ['add', 'remove'].includes(argv[3]),
      ),
    )
  })

  it('fails before changing anything when the CA cannot be read', async () => {
    const h = await host({}, false)
    await rejectsWithReason(h.run('create', {wantCa: true}), 'script-failed', (error) => {
      assert.match(error.message, /exit 1/)
      assert.match(error.message, /pve-root-ca\.pem/)
      assert.match(error.message, /TLS_CA_FILE/)
    })
    assert.deepEqual(Object.keys((await h.state()).users), ['root@pam'])
  })

  it('says so when the host is not a Proxmox node', async () => {
    const h = await host()
    await rejectsWithReason(h.run('keep', {path: [h.stubs]}), 'script-failed', (error) => {
      assert.match(error.message, /'pveum' not found on this host: is it a Proxmox VE node\?/)
      assert.ok(error.message.includes('root@local-bash:22'))
    })
  })

  it('hands over a secret it made before reporting a later failure, which never holds the secret', async () => {
    const h = await host()
    await writeStub(
      h.stubs,
      'pveum',
      `if [ "$1 $2" = "acl modify" ]; then echo "permission check failed" >&2; exit 5; fi\n` +
        `exec ${SIM_BIN_DIR}/pveum "$@"`,
    )
    const kept: string[] = []
    await rejectsWithReason(
      h.run('create', {onTokenSecret: async (s) => void kept.push(s)}),
      'script-failed',
      (error) => {
        assert.match(
          error.message,
          /cannot grant the role HyopsAutomation on \/ \(--users hyops@pve\): permission check failed/,
        )
        assert.match(error.hint ?? '', /secret was kept/)
        assert.ok(!error.line.includes(kept[0]))
      },
    )
    assert.equal(kept.length, 1)
    assert.equal(kept[0], (await h.state()).tokens['hyops@pve!hyops'].secret)
    const argv = await readFile(h.stubLog, 'utf8')
    assert.ok(argv.includes('pveum user token add hyops@pve hyops --privsep 0 --expire 0 --comment hyops'), argv)
    assert.ok(!argv.includes(kept[0]))
  })

  it('names the failing command and its message when token creation fails', async () => {
    const h = await host({faults: {token_add_fails: true}})
    await rejectsWithReason(h.run('create'), 'script-failed', (error) => {
      assert.match(
        error.message,
        new RegExp(
          '^remote bootstrap on root@local-bash:22 failed \\(exit 1\\): ' +
            'cannot create the token hyops@pve!hyops: simulated failure',
        ),
      )
    })
    assert.deepEqual((await h.state()).tokens, {})
  })

  it('rejects an unknown token mode', async () => {
    const h = await host()
    await rejectsWithReason(h.run('bogus' as TokenMode), 'script-failed', (error) =>
      assert.match(error.message, /TOKEN_MODE must be keep, create or rotate/),
    )
  })
})
