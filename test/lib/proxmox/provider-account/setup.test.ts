// The provider SSH account on a simulated two-node cluster: real sshd per node, real accounts, real sudo.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {HyopsError} from '../../../../src/lib/errors.js'
import {PROVIDER_SSH_KEY_VAULT_KEY, providerKeyFile} from '../../../../src/lib/proxmox/provider-account/key.js'
import {removeProviderAccount} from '../../../../src/lib/proxmox/provider-account/remove.js'
import {accountWarnings} from '../../../../src/lib/proxmox/provider-account/record.js'
import {clusterKnownHostsFile} from '../../../../src/lib/proxmox/provider-account/reach.js'
import {
  type ProviderAccountReport,
  type ProviderAccountRequest,
  setUpProviderAccount,
} from '../../../../src/lib/proxmox/provider-account/setup.js'
import {RuntimeLayout} from '../../../../src/lib/runtime/layout.js'
import type {SshSession} from '../../../../src/lib/ssh/connection.js'
import {
  removeAccount,
  type SimCluster,
  type SimClusterOptions,
  startClusterSim,
} from '../../../fixtures/pve-sim/cluster/index.js'
import type {PveSim} from '../../../fixtures/pve-sim/index.js'
import {testInputs} from '../bootstrap/helpers.js'
import {accountSession, memoryVault, rootSession, scratch, uniqueAccount} from './helpers.js'

const SNIPPETS = '/var/lib/vz/snippets'

function exists(account: string): boolean {
  return spawnSync('getent', ['passwd', account]).status === 0
}

function withCluster(profile: 'pve8' | 'pve9', options: SimClusterOptions = {}) {
  return startClusterSim(profile, options)
}

interface Run {
  layout: RuntimeLayout
  vault: ReturnType<typeof memoryVault>
  request: (session: SshSession, extra?: Partial<ProviderAccountRequest>) => ProviderAccountRequest
}

async function prepare(sim: PveSim, cluster: SimCluster, account: string, dir: string): Promise<Run> {
  const layout = new RuntimeLayout(join(dir, 'root'))
  await layout.ensure({note: () => undefined})
  const vault = memoryVault()
  const [first] = cluster.nodes
  const inputs = testInputs({
    host: first.address,
    sshKey: sim.clientKey.privateKeyPath,
    sshPort: cluster.port,
  })
  return {
    layout,
    request: (session, extra = {}) => ({
      account,
      idmap: false,
      inputs,
      layout,
      members: cluster.nodes.map((node) => ({ip: node.address, name: node.name, online: true})),
      node: first.name,
      replaceKey: false,
      secret: () => undefined,
      session,
      step: (_label, run) => run(),
      vault,
      ...extra,
    }),
    vault,
  }
}

for (const profile of ['pve8', 'pve9'] as const) {
  describe(`the provider SSH account on a two-node cluster (${profile})`, () => {
    let sim: PveSim
    let cluster: SimCluster
    let account: string
    let work: Awaited<ReturnType<typeof scratch>>
    let run: Run
    let session: SshSession

    before(async () => {
      ;({cluster, sim} = await withCluster(profile))
      account = uniqueAccount()
      await cluster.registerAccount(account)
      work = await scratch()
      run = await prepare(sim, cluster, account, work.dir)
      session = await rootSession(sim, cluster.nodes[0].address, cluster.port, run.layout.knownHostsFile)
    })
    after(async () => {
      session?.dispose()
      await removeAccount(account)
      await cluster?.stop()
      await sim?.stop()
      await work?.remove()
    })

    it('makes the account on both nodes: its own key logs in, the probe works, anything else is refused', async () => {
      const report = await setUpProviderAccount(run.request(session))
      assert.deepEqual(
        report.nodes.map((n) => [n.name, n.address]),
        cluster.nodes.map((n) => [n.name, n.address]),
      )
      for (const node of report.nodes) {
        assert.deepEqual(node.proof, {othersRefused: true, pvesm: true, qm: true, snippets: true}, node.name)
        assert.equal(node.teeRule, true)
        assert.deepEqual(node.snippetsDirs, [SNIPPETS])
        assert.equal(node.sudoers, report.nodes[0] === node ? 'written' : 'kept')
      }

      assert.equal(report.nodes[0].account, 'created')
      assert.equal(report.keyAction, 'made')

      // The private key: in the vault and in a 0600 file, the same key.
      const keyFile = providerKeyFile(run.layout)
      const privateKey = await readFile(keyFile, 'utf8')
      assert.equal(run.vault.values[PROVIDER_SSH_KEY_VAULT_KEY], privateKey)
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600)
      assert.match(report.fingerprint, /^SHA256:/)

      // The drop-in: 0440, passes visudo -c, holds the anchored rule.
      const dropIn = `/etc/sudoers.d/hyops-${account}`
      assert.equal((await stat(dropIn)).mode & 0o777, 0o440)
      assert.equal(spawnSync('visudo', ['-c', '-q', '-f', dropIn]).status, 0)
      assert.match(await readFile(dropIn, 'utf8'), /\/usr\/bin\/tee \^\/var\/lib\/vz\/snippets\/\[a-zA-Z0-9_\]/)

      // On each node, as the account with its own key (host key checked against what the cluster records).
      const known = clusterKnownHostsFile(run.layout)
      for (const node of cluster.nodes) {
        const as = await accountSession(account, keyFile, node.address, cluster.port, known)
        try {
          const apiinfo = await as.exec('sudo -n /usr/sbin/pvesm apiinfo')
          assert.match(apiinfo.stdout, /^APIVER \d+$/m, apiinfo.stderr)
          assert.equal((await as.exec('sudo -n /usr/sbin/qm --help')).code, 0)
          assert.equal((await as.exec(`sudo -n -l /usr/bin/tee ${SNIPPETS}/user-data.yaml`)).code, 0)
          for (const refused of [
            `sudo -n -l /usr/bin/tee ${SNIPPETS}/ab/../../../../etc/sudoers.d/evil`,
            `sudo -n -l /usr/bin/tee ${SNIPPETS}/ab /etc/shadow`,
            'sudo -n /usr/bin/id',
          ]) {
            const result = await as.exec(refused)
            assert.notEqual(result.code, 0, `${refused} was allowed on ${node.name}`)
          }
        } finally {
          as.dispose()
        }

        assert.match(node.sshd.log(), new RegExp(`Accepted publickey for ${account} `), `${node.name}'s own sshd`)
      }

      // The operator's key does not open the account.
      await assert.rejects(
        accountSession(account, sim.clientKey.privateKeyPath, cluster.nodes[1].address, cluster.port, known),
        (error: HyopsError) => error.reason === 'auth',
      )
    })

    it('a re-run keeps the key, authorized_keys and the drop-in; --force replaces only the key', async () => {
      const keyFile = providerKeyFile(run.layout)
      const before = await readFile(keyFile, 'utf8')
      const home = spawnSync('getent', ['passwd', account], {encoding: 'utf8'}).stdout.split(':')[5]
      const keys = join(home, '.ssh', 'authorized_keys')
      const dropIn = `/etc/sudoers.d/hyops-${account}`
      const stamps = async () => [
        (await stat(keys)).mtimeMs,
        (await stat(dropIn)).mtimeMs,
        await readFile(keys, 'utf8'),
      ]
      const was = await stamps()
      const again = await setUpProviderAccount(run.request(session))
      assert.equal(again.keyAction, 'kept')
      assert.equal(await readFile(keyFile, 'utf8'), before)
      assert.deepEqual(
        again.nodes.map((n) => [n.account, n.key, n.sudoers]),
        again.nodes.map(() => ['kept', 'kept', 'kept']),
      )
      assert.deepEqual(await stamps(), was)

      const forced = await setUpProviderAccount(run.request(session, {replaceKey: true}))
      assert.equal(forced.keyAction, 'replaced')
      assert.notEqual(await readFile(keyFile, 'utf8'), before)
      assert.equal(forced.nodes[0].key, 'installed')
      assert.match(await readFile(keys, 'utf8'), /^restrict ssh-ed25519 \S+ hyops-provider-/)
    })

    it('removal takes the account and its drop-in off every node', async () => {
      const removed = await removeProviderAccount(run.request(session))
      assert.deepEqual(
        removed.map((n) => n.name),
        cluster.nodes.map((n) => n.name),
      )
      assert.equal(exists(account), false)
      assert.equal(spawnSync('test', ['-e', `/etc/sudoers.d/hyops-${account}`]).status, 1)
    })
  })
}

/**
 * One cluster for one failure: `arrange` changes it before the run (after the root session is open), `check` gets
 * what the step did (its error, or its report).
 */
async function onCluster(
  profile: 'pve8' | 'pve9',
  options: SimClusterOptions,
  arrange: (sim: PveSim, cluster: SimCluster) => Promise<void>,
  check: (outcome: {error?: HyopsError; report?: ProviderAccountReport; account: string}) => Promise<void>,
): Promise<void> {
  const {cluster, sim} = await withCluster(profile, options)
  const account = uniqueAccount()
  await cluster.registerAccount(account)
  const work = await scratch()
  try {
    const run = await prepare(sim, cluster, account, work.dir)
    const session = await rootSession(sim, cluster.nodes[0].address, cluster.port, run.layout.knownHostsFile)
    await arrange(sim, cluster)
    let outcome: {error?: HyopsError; report?: ProviderAccountReport}
    try {
      outcome = {report: await setUpProviderAccount(run.request(session))}
    } catch (error) {
      if (!(error instanceof HyopsError)) throw error
      outcome = {error}
    } finally {
      session.dispose()
    }

    await check({...outcome, account})
    if (outcome.error) assert.equal(run.vault.updates, 0, 'no key made before every node was checked')
  } finally {
    await removeAccount(account)
    await cluster.stop()
    await sim.stop()
    await work.remove()
  }
}

/** Exit 20 naming pve2, and no account on the machine. */
function failedOnPve2(extra: (error: HyopsError) => void = () => undefined) {
  return async ({account, error}: {error?: HyopsError; account: string}) => {
    assert.ok(error, 'the step failed')
    assert.equal(error.exitCode, 20)
    assert.match(error.message, /node pve2/)
    extra(error)
    assert.equal(exists(account), false)
  }
}

const nothing = async () => undefined

describe('the provider SSH account when a node cannot take it', () => {
  it('a node without sudo: exit 20 naming it and apt install sudo; no account anywhere', () =>
    onCluster(
      'pve8',
      {withoutSudo: ['pve2']},
      nothing,
      failedOnPve2((error) => assert.match(error.hint ?? '', /apt install sudo/)),
    ))

  it('a node that cannot be reached: exit 20 naming it; no account anywhere', () =>
    onCluster(
      'pve9',
      {},
      (_sim, cluster) => cluster.nodes[1].sshd.stop(),
      failedOnPve2((error) => assert.match(error.message, /node pve2 \(127\.0\.0\.3\)/)),
    ))

  it('a host key other than the one the cluster records: exit 20 naming the node; no account anywhere', () =>
    onCluster(
      'pve8',
      {},
      // pve2's record holds pve1's key: pve2's own key must then be refused, not trusted.
      (sim, cluster) =>
        writeFile(
          join(sim.pveEtcDir, 'nodes', 'pve2', 'ssh_known_hosts'),
          `pve2 ${cluster.nodes[0].sshd.hostRsaPublicKey}`,
        ),
      failedOnPve2((error) => assert.equal(error.reason, 'host-key-changed')),
    ))

  it('sudo older than 1.9.10: no tee rule, pvesm and qm still work, and the run says what that costs', () =>
    onCluster('pve8', {oldSudo: ['pve1', 'pve2']}, nothing, async ({account, error, report}) => {
      assert.equal(error, undefined)
      for (const node of report!.nodes) {
        assert.equal(node.sudoVersion, '1.9.9')
        assert.equal(node.teeRule, false)
        assert.deepEqual(node.proof, {othersRefused: true, pvesm: true, qm: true})
      }

      assert.doesNotMatch(await readFile(`/etc/sudoers.d/hyops-${account}`, 'utf8'), /tee/)
      const warnings = accountWarnings(report!)
      assert.deepEqual(
        warnings.map((w) => w.code),
        ['provider-ssh-no-tee', 'provider-ssh-no-tee'],
      )
      assert.match(warnings[0].message, /cannot upload snippets to pve1/)
    }))
})
