import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.js'
import {cleanupTempDirs, PROJECT_ROOT, runCli, tempDir, type CliRun} from '../helpers/cli.js'
import {initProxmox, prepareRoot, type ProxmoxRoot} from '../helpers/proxmox-env.js'
import {requireTool} from '../helpers/tools.js'

// A real API client through `hyops exec proxmox --format ansible`: Debian's ansible runs a
// playbook of community.general.proxmox_storage_info and proxmox_user_info (proxmoxer underneath)
// against the simulated host, once verifying the API against the cluster CA (REQUESTS_CA_BUNDLE)
// and once with TLS_SKIP.

const PLAYBOOK = join(PROJECT_ROOT, 'test', 'fixtures', 'ansible', 'proxmox-read.yml')
// Debian's ansible and python3-proxmoxer live on the system python, not on a python3 earlier on PATH.
const PLAYBOOK_BIN = '/usr/bin/ansible-playbook'

interface Read {
  storages: string[]
  user: string
  tokens: string[]
}

/** What the playbook's last task said (the json callback's debug message). */
function readOf(run: CliRun): Read {
  const report = JSON.parse(run.stdout) as {
    plays: Array<{tasks: Array<{task: {name: string}; hosts: Record<string, {msg?: unknown}>}>}>
  }
  const said = report.plays[0].tasks.find((t) => t.task.name === 'Say what was read')
  assert.ok(said, `the playbook did not get to its last task:\n${run.stdout}`)
  return said.hosts.localhost.msg as Read
}

describe('hyops exec proxmox --format ansible: a real Ansible client', () => {
  let sim: PveSim

  before(async () => {
    requireTool(PLAYBOOK_BIN, 'ansible')
    sim = await startPveSim()
  })

  after(async () => {
    await sim?.stop()
    await cleanupTempDirs()
  })

  /**
   * `hyops exec proxmox --format ansible -- ansible-playbook` on the root. `dropCaBundle` runs the
   * playbook through `env -u` without the CA bundle variables hyops exec sets.
   */
  async function playbook(at: ProxmoxRoot, dropCaBundle = false): Promise<CliRun> {
    const ansibleHome = await tempDir('hyops-ansible-')
    return runCli(
      [
        'exec',
        'proxmox',
        '--format',
        'ansible',
        '--root',
        at.root,
        '--vault-password-file',
        at.passwordFile,
        '--',
        ...(dropCaBundle ? ['/usr/bin/env', '-u', 'REQUESTS_CA_BUNDLE', '-u', 'SSL_CERT_FILE'] : []),
        PLAYBOOK_BIN,
        '-i',
        'localhost,',
        PLAYBOOK,
      ],
      {
        env: {
          ANSIBLE_HOME: ansibleHome,
          ANSIBLE_LOCAL_TEMP: join(ansibleHome, 'tmp'),
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
          ANSIBLE_STDOUT_CALLBACK: 'json',
          HOME: at.home,
        },
        timeoutMs: 180_000,
      },
    )
  }

  async function readyRoot(tlsSkip: boolean): Promise<ProxmoxRoot> {
    const at = await prepareRoot(sim, {extraConfig: {TLS_SKIP: String(tlsSkip)}})
    const init = await initProxmox(at, ['--bootstrap'])
    assert.equal(init.code, 0, init.stderr)
    return at
  }

  async function assertRead(run: CliRun, at: ProxmoxRoot): Promise<void> {
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`)
    const read = readOf(run)
    const state = await sim.readState()
    assert.deepEqual(read.storages, state.storages.map((s) => s.storage).sort())
    assert.equal(read.user, at.userFq)
    assert.ok(read.tokens.includes(at.tokenName), `tokens: ${read.tokens.join(', ')}`)
    const secret = state.tokens[at.tokenId]?.secret
    assert.ok(secret)
    assert.ok(!(run.stdout + run.stderr).includes(secret), 'the secret is in the output')
    const calls = sim.apiRequests().filter((r) => r.tokenId === at.tokenId)
    for (const path of ['/api2/json/version', '/api2/json/storage', `/api2/json/access/users/${at.userFq}`])
      assert.ok(
        calls.some((r) => r.path === path && r.status === 200),
        `no 200 for ${path}: ${calls.map((r) => r.path).join(' ')}`,
      )
  }

  it('TLS_SKIP=false: verified against the cluster CA in the REQUESTS_CA_BUNDLE hyops exec sets', async () => {
    const at = await readyRoot(false)
    assert.ok(existsSync(join(at.root, 'state', 'proxmox-ca.pem')), 'the bootstrap did not keep the cluster CA')

    // The test's environment names no CA bundle: the one hyops exec sets is what verifies the API.
    const verified = await playbook(at)
    await assertRead(verified, at)

    const unverified = await playbook(at, true)
    assert.notEqual(unverified.code, 0, unverified.stdout)
    assert.match(unverified.stdout, /CERTIFICATE_VERIFY_FAILED|certificate verify failed/)
  })

  it('TLS_SKIP=true: the modules do not verify, and read the same', async () => {
    const at = await readyRoot(true)
    await assertRead(await playbook(at, true), at)
  })
})
