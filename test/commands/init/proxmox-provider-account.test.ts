// hyops init proxmox with PROVIDER_SSH_USER on a simulated two-node cluster (real sshd per node, real accounts and
// sudo): the account on both nodes, the tfvars, the marker and hyops env --format bpg hand out the account and its
// key (never the operator's), and a re-run changes nothing.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {access, readdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {parseTfvars} from '../../../src/lib/proxmox/outputs/tfvars.js'
import {removeAccount, type SimCluster, startClusterSim} from '../../fixtures/pve-sim/cluster/index.js'
import type {PveSim} from '../../fixtures/pve-sim/index.js'
import {cleanupTempDirs, runCli} from '../../helpers/cli.js'
import {initProxmox, prepareRoot, readMarkerJson, vaultValues, type ProxmoxRoot} from '../../helpers/proxmox-env.js'
import {uniqueAccount} from '../../lib/proxmox/provider-account/helpers.js'

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true}).catch(() => [])) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesUnder(path)))
    else out.push(path)
  }

  return out
}

describe('hyops init proxmox with PROVIDER_SSH_USER on a two-node cluster', () => {
  let sim: PveSim
  let cluster: SimCluster
  let account: string
  let at: ProxmoxRoot

  before(async () => {
    ;({cluster, sim} = await startClusterSim('pve9'))
    account = uniqueAccount()
    await cluster.registerAccount(account)
    at = await prepareRoot(sim, {
      extraConfig: {PROVIDER_SSH_USER: account, PROXMOX_IP: cluster.nodes[0].address, PROXMOX_SSH_PORT: cluster.port},
    })
  })
  after(async () => {
    await removeAccount(account)
    await cluster?.stop()
    await sim?.stop()
    await cleanupTempDirs()
  })

  it('makes the account on both nodes and hands out only it; a re-run changes nothing', async () => {
    const run = await initProxmox(at)
    assert.equal(run.code, 0, `${run.stderr}\n${cluster.nodes.map((n) => n.sshd.log()).join('\n')}`)

    assert.match(run.stdout, new RegExp(`Provider SSH +${account} +proved on 2 node\\(s\\)`), 'the summary names it')
    const keyFile = join(at.root, 'credentials', 'proxmox-provider-ssh.key')
    const privateKey = await readFile(keyFile, 'utf8')
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600)
    assert.equal((await vaultValues(at)).PROXMOX_PROVIDER_SSH_KEY, privateKey, 'the vault holds the same key')

    const tfvars = parseTfvars(await readFile(at.credentialsFile, 'utf8'))
    assert.equal(tfvars.proxmox_ssh_username, account)
    assert.equal(tfvars.proxmox_ssh_key, keyFile)
    assert.deepEqual(tfvars.proxmox_ssh_nodes, Object.fromEntries(cluster.nodes.map((n) => [n.name, n.address])))

    const marker = await readMarkerJson(at)
    assert.equal(marker?.status, 'ready')
    assert.equal(marker?.provider_ssh?.user, account)
    assert.match(marker?.provider_ssh?.fingerprint ?? '', /^SHA256:/)
    assert.deepEqual(
      marker?.provider_ssh?.nodes.map((n) => [n.name, n.proof]),
      cluster.nodes.map((n) => [n.name, {others_refused: true, pvesm: true, qm: true, snippets: true}]),
    )

    const env = await runCli([
      'env',
      'proxmox',
      '--root',
      at.root,
      '--vault-password-file',
      at.passwordFile,
      '--format',
      'bpg',
      '--output',
      'json',
    ])
    assert.equal(env.code, 0, env.stderr)
    const vars = JSON.parse(env.stdout) as Record<string, string>
    assert.equal(vars.PROXMOX_VE_SSH_USERNAME, account)
    assert.equal(vars.PROXMOX_VE_SSH_PRIVATE_KEY, privateKey)
    const operatorKey = await readFile(sim.clientKey.privateKeyPath, 'utf8')
    // (Line 1 of every such key is the same header; line 3 is the key's own.)
    for (const value of Object.values(vars))
      assert.ok(!value.includes(operatorKey.split('\n')[3]), "the operator's key is never handed out")

    // The private key never shows in output or evidence.
    const body = privateKey.split('\n')[3]
    assert.ok(!run.stdout.includes(body) && !run.stderr.includes(body))
    for (const file of await filesUnder(join(at.root, 'logs')))
      assert.ok(!(await readFile(file, 'utf8')).includes(body), `the private key is in ${file}`)

    const home = spawnSync('getent', ['passwd', account], {encoding: 'utf8'}).stdout.split(':')[5]
    const keys = join(home, '.ssh', 'authorized_keys')
    const was = [await readFile(keys, 'utf8'), (await stat(keys)).mtimeMs]
    const again = await initProxmox(at, ['--non-interactive', '--bootstrap'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(await readFile(keyFile, 'utf8'), privateKey, 'same key')
    assert.deepEqual([await readFile(keys, 'utf8'), (await stat(keys)).mtimeMs], was, 'same authorized_keys')
    assert.deepEqual(
      (await readMarkerJson(at))?.provider_ssh?.nodes.map((n) => [n.account, n.key, n.sudoers]),
      cluster.nodes.map(() => ['kept', 'kept', 'kept']),
    )
  })

  it('hyops revoke takes the account and its drop-in off every node and forgets its key', async () => {
    const keyFile = join(at.root, 'credentials', 'proxmox-provider-ssh.key')
    assert.equal((await readMarkerJson(at))?.status, 'ready', 'the first test left a ready run')
    const revoke = await runCli(
      ['revoke', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile, '--yes'],
      {
        env: {HOME: at.home},
      },
    )
    assert.equal(revoke.code, 0, revoke.stdout + revoke.stderr)
    for (const node of cluster.nodes)
      assert.match(revoke.stdout + revoke.stderr, new RegExp(`provider SSH account ${account} on ${node.name}`))
    assert.notEqual(spawnSync('getent', ['passwd', account]).status, 0, 'the account is gone')
    await assert.rejects(access(`/etc/sudoers.d/hyops-${account}`), 'the drop-in is gone')
    await assert.rejects(access(keyFile), 'the key file is gone')
    assert.equal((await vaultValues(at)).PROXMOX_PROVIDER_SSH_KEY, undefined, 'the vault forgot the key')
    assert.equal((await readMarkerJson(at))?.status, 'revoked')
  })
})
