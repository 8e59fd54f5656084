// hyops init proxmox end to end against the simulated Proxmox host (docs/proxmox.md, "What a run promises";
// 8 and 10, and the re-run paths): the built CLI in its own process, real SSH, TLS, vault
// crypto and files. One simulated host for the file; each test has its own root and token.
import assert from 'node:assert/strict'
import {copyFile, mkdir, readFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {dirname, join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startPveSim, type PveSim} from '../../fixtures/pve-sim/index.js'
import {cleanupTempDirs, type CliRun} from '../../helpers/cli.js'
import {
  apiStatus,
  assertFirstRun,
  RUN_ID,
  fileBytes,
  initProxmox,
  prepareRoot,
  readMarkerJson,
  readTfvars,
  secretLeaks,
  terraformReads,
  vaultValues,
  type ProxmoxRoot,
} from '../../helpers/proxmox-env.js'

const NO_STACK = /\n\s+at \S/

let sim: PveSim
/** Every secret the host has handed out during this file, rotated ones included. */
const secretsSeen = new Set<string>()

async function hostSecret(tokenId: string): Promise<string | undefined> {
  const secret = (await sim.readState()).tokens[tokenId]?.secret
  if (secret) secretsSeen.add(secret)
  return secret
}

/** After a scenario: no secret of this file's host anywhere it must not be. */
async function assertNoLeaks(at: ProxmoxRoot, runs: CliRun[]): Promise<void> {
  for (const token of Object.values((await sim.readState()).tokens)) secretsSeen.add(token.secret)
  assert.deepEqual(await secretLeaks(at, [...secretsSeen], runs, await sim.execLog()), [])
}

/** A root that has been through one successful first run. */
async function readyRoot(
  extraConfig?: Record<string, string | number | undefined>,
): Promise<{at: ProxmoxRoot; run: CliRun; secret: string}> {
  const at = await prepareRoot(sim, {extraConfig})
  const run = await initProxmox(at)
  assert.equal(run.code, 0, run.stderr)
  const secret = await hostSecret(at.tokenId)
  assert.ok(secret, 'the first run made a token')
  return {at, run, secret}
}

/** Number of `pveum user token add|remove` the host ran since `from` log lines. */
async function tokenChanges(from: number): Promise<string[]> {
  return (await sim.execLog())
    .slice(from)
    .filter(
      (argv) =>
        argv[0] === 'pveum' && argv[1] === 'user' && argv[2] === 'token' && (argv[3] === 'add' || argv[3] === 'remove'),
    )
    .map((argv) => argv.slice(0, 4).join(' '))
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('hyops init proxmox against the simulated host', () => {
  before(async () => {
    sim = await startPveSim()
  })
  after(async () => {
    await sim?.stop()
    await cleanupTempDirs()
  })

  it(
    'first run: exit 0, tfvars 0600 with every required key as valid HCL, marker ready, secret in ' +
      'the vault, token and ACLs on the host',
    async (t) => {
      const at = await prepareRoot(sim)
      const execBefore = (await sim.execCommands()).length
      const run = await initProxmox(at)
      const {secret, terraformChecked} = await assertFirstRun(sim, at, run)
      // One SSH exec: the script on stdin to `bash -s`, the inputs as quoted env assignments.
      const execs = (await sim.execCommands()).slice(execBefore)
      assert.equal(execs.length, 1, execs.join('\n'))
      assert.match(
        execs[0],
        new RegExp(`^env USER_FQ='automation@pam' TOKEN_NAME='${at.tokenName}' TOKEN_MODE='create' .* bash -s$`),
      )
      secretsSeen.add(secret)
      if (!terraformChecked)
        t.diagnostic('terraform is not installed: the tfvars were checked by parseTfvars and the line grammar only')
      await assertNoLeaks(at, [run])
    },
  )

  it(
    'tfvars escaping: an SSH key path with quotes, a backslash, ${ and %{ reads back as ' +
      'written (parseTfvars, and Terraform when installed)',
    async (t) => {
      const at = await prepareRoot(sim)
      const keyPath = join(at.home, 'keys "quoted" ${var.x} %{ if y } back\\slash', 'id_ed25519')
      await mkdir(dirname(keyPath), {recursive: true})
      await copyFile(sim.clientKey.privateKeyPath, keyPath)
      await copyFile(sim.clientKey.publicKeyPath, `${keyPath}.pub`)
      const run = await initProxmox(at, [], {HYOPS_PROXMOX_SSH_KEY: keyPath})
      assert.equal(run.code, 0, run.stderr)
      const tfvars = await readTfvars(at)
      assert.equal(tfvars.values.proxmox_ssh_key, keyPath)
      assert.ok(tfvars.text.includes('\\"quoted\\" $${var.x} %%{ if y } back\\\\slash'), tfvars.text)
      const terraform = await terraformReads(at.credentialsFile, Object.keys(tfvars.values))
      if (terraform) assert.deepEqual(terraform, tfvars.values)
      else t.diagnostic('terraform is not installed: checked by parseTfvars only')
      await assertNoLeaks(at, [run])
    },
  )

  it(
    '--bootstrap with no config: writes the template and carries on from flags and environment ' + 'to a ready root',
    async () => {
      const at = await prepareRoot(sim, {noConfig: true})
      const flags = [
        '--bootstrap',
        '--proxmox-ip',
        sim.host,
        '--user-fq',
        at.userFq,
        '--token-name',
        at.tokenName,
        '--ssh-port',
        String(sim.sshPort),
      ]
      const run = await initProxmox(at, flags, {
        HYOPS_PROXMOX_API_PORT: String(sim.apiPort),
        HYOPS_PROXMOX_SSH_KEY: sim.clientKey.privateKeyPath,
      })
      assert.equal(run.code, 0, run.stderr)
      assert.match(await readFile(at.configFile, 'utf8'), /^PROXMOX_IP = 192\.0\.2\.10$/m, 'the template was written')
      assert.equal((await readMarkerJson(at))?.status, 'ready')
      assert.equal((await readTfvars(at)).values.proxmox_token_secret, await hostSecret(at.tokenId))
      await assertNoLeaks(at, [run])
    },
  )

  it('second run: exit 0, the token is not rotated (same secret on host, vault and tfvars) ', async () => {
    const {at, run: first, secret} = await readyRoot()
    const from = (await sim.execLog()).length
    const execBefore = (await sim.execCommands()).length
    const run = await initProxmox(at)
    assert.equal(run.code, 0, run.stderr)
    const execs = (await sim.execCommands()).slice(execBefore)
    assert.equal(execs.length, 1, 'the bootstrap still ran on the host')
    assert.match(execs[0], / TOKEN_MODE='keep' /)
    assert.equal(await hostSecret(at.tokenId), secret)
    assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, secret)
    assert.equal((await readTfvars(at)).values.proxmox_token_secret, secret)
    assert.deepEqual(await tokenChanges(from), [])
    const marker = await readMarkerJson(at)
    assert.equal(marker?.status, 'ready')
    assert.equal(marker?.token?.action, 'kept')
    assert.match(run.stdout, /kept \(secret from the vault\)/)
    await assertNoLeaks(at, [first, run])
  })

  it(
    '--force: the token is rotated, the new secret is in vault and tfvars, the API rejects the ' + 'old one',
    async () => {
      const {at, run: first, secret: old} = await readyRoot()
      const from = (await sim.execLog()).length
      const run = await initProxmox(at, ['--force'])
      assert.equal(run.code, 0, run.stderr)
      const fresh = await hostSecret(at.tokenId)
      assert.ok(fresh)
      assert.notEqual(fresh, old)
      assert.deepEqual(await tokenChanges(from), ['pveum user token remove', 'pveum user token add'])
      assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, fresh)
      assert.equal((await readTfvars(at)).values.proxmox_token_secret, fresh)
      assert.equal((await readTfvars(at)).mode, 0o600)
      assert.equal(await apiStatus(sim, at.tokenId, old), 401)
      assert.equal(await apiStatus(sim, at.tokenId, fresh), 200)
      // Deleting a token drops its grants: they were given again.
      assert.equal(await apiStatus(sim, at.tokenId, fresh, '/api2/json/nodes/pve1/storage/local/content'), 200)
      const marker = await readMarkerJson(at)
      assert.equal(marker?.status, 'ready')
      assert.equal(marker?.token?.action, 'rotated')
      await assertNoLeaks(at, [first, run])
    },
  )

  it('--json prints one JSON object with the status and no secret', async () => {
    const {at, run: first, secret} = await readyRoot()
    const run = await initProxmox(at, ['--json'])
    assert.equal(run.code, 0, run.stderr)
    const result = JSON.parse(run.stdout) as Record<string, unknown>
    assert.equal(result.status, 'ready')
    assert.equal(result.target, 'proxmox')
    assert.equal(result.token_id, at.tokenId)
    assert.equal(result.token_action, 'kept')
    assert.equal(result.api_url, `https://127.0.0.1:${sim.apiPort}/api2/json`)
    assert.match(String(result.run_id), RUN_ID)
    assert.ok(!run.stdout.includes(secret))
    assert.doesNotMatch(run.stdout, /Proxmox is ready|\[hyops\]/, 'nothing but the object on stdout')

    const failed = await initProxmox(at, ['--json'], {HYOPS_PROXMOX_USER_FQ: 'no-realm'})
    assert.equal(failed.code, 11, 'the contract exit code, not oclif 1')
    await assertNoLeaks(at, [first, run, failed])
  })

  it('--no-remote with a known secret and a marker works without SSH', async () => {
    const {at, run: first, secret} = await readyRoot()
    const credentials = await fileBytes(at.credentialsFile)
    const noSsh = {HYOPS_PROXMOX_SSH_PORT: String(await closedPort())}
    const execBefore = (await sim.execLog()).length
    const apiBefore = sim.apiRequests().length

    // The closed port is really closed: a remote run fails there, changing nothing.
    const remote = await initProxmox(at, [], noSsh)
    assert.equal(remote.code, 20, remote.stderr)
    assert.match(remote.stderr, /refused|ECONNREFUSED|connect/i)
    assert.deepEqual(await fileBytes(at.credentialsFile), credentials)
    assert.equal((await readMarkerJson(at))?.status, 'ready')

    const run = await initProxmox(at, ['--no-remote', '--json'], noSsh)
    assert.equal(run.code, 0, run.stderr)
    const result = JSON.parse(run.stdout) as {remote: boolean; status: string; runtime: Record<string, string>}
    assert.equal(result.status, 'ready')
    assert.equal(result.remote, false)
    assert.equal(result.runtime.node, 'pve1')
    assert.equal(result.runtime.storage_vm_source, 'detected', 'runtime values come from the marker')
    assert.equal((await sim.execLog()).length, execBefore, 'no command ran on the host')
    assert.ok(
      sim
        .apiRequests()
        .slice(apiBefore)
        .some((r) => r.path === '/api2/json/version' && r.status === 200),
      'the token was still validated',
    )
    assert.equal((await readTfvars(at)).values.proxmox_token_secret, secret)
    assert.equal((await readMarkerJson(at))?.status, 'ready')
    await assertNoLeaks(at, [first, remote, run])
  })

  it('a --non-interactive re-run with a known secret and a ready marker needs no SSH', async () => {
    const {at, run: first, secret} = await readyRoot()
    const execBefore = (await sim.execLog()).length
    const run = await initProxmox(at, ['--non-interactive'], {HYOPS_PROXMOX_SSH_PORT: String(await closedPort())})
    assert.equal(run.code, 0, run.stderr)
    assert.equal((await sim.execLog()).length, execBefore)
    assert.equal((await readTfvars(at)).values.proxmox_token_secret, secret)
    const marker = await readMarkerJson(at)
    assert.equal(marker?.status, 'ready')
    assert.equal(marker?.token?.action, 'kept')
    await assertNoLeaks(at, [first, run])
  })

  it('--dry-run on a fresh root: no tfvars, no marker, no vault, nothing changed on the host ', async () => {
    const at = await prepareRoot(sim)
    const state = await sim.readState()
    const execBefore = (await sim.execLog()).length
    const run = await initProxmox(at, ['--dry-run'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^Dry run: nothing was changed/m)
    assert.match(run.stdout, new RegExp(`create ${at.tokenId} if missing`), 'the plan is printed')
    assert.equal(await fileBytes(at.credentialsFile), undefined)
    assert.equal(await fileBytes(at.markerFile), undefined)
    assert.equal(await fileBytes(at.vaultFile), undefined)
    assert.deepEqual(await sim.readState(), state)
    assert.equal((await sim.execLog()).length, execBefore)
    await assertNoLeaks(at, [run])
  })

  it('--dry-run --force on a ready root: tfvars, marker, vault bytes and the host unchanged ', async () => {
    const {at, run: first} = await readyRoot()
    const before = {
      credentials: await fileBytes(at.credentialsFile),
      marker: await fileBytes(at.markerFile),
      vault: await fileBytes(at.vaultFile),
    }
    const state = await sim.readState()
    const execBefore = (await sim.execLog()).length
    const run = await initProxmox(at, ['--dry-run', '--force', '--json'])
    assert.equal(run.code, 0, run.stderr)
    const result = JSON.parse(run.stdout) as {status: string; token_action: string; plan: string[]}
    assert.equal(result.status, 'dry-run')
    assert.equal(result.token_action, 'would-rotate')
    assert.ok(result.plan.length > 0)
    assert.deepEqual(
      {
        credentials: await fileBytes(at.credentialsFile),
        marker: await fileBytes(at.markerFile),
        vault: await fileBytes(at.vaultFile),
      },
      before,
    )
    assert.deepEqual(await sim.readState(), state)
    assert.equal((await sim.execLog()).length, execBefore)
    await assertNoLeaks(at, [first, run])
  })

  it('a changed host key: exit 20 naming both fingerprints; marker and credentials untouched', async () => {
    const {at, run: first} = await readyRoot()
    const before = {
      credentials: await fileBytes(at.credentialsFile),
      knownHosts: await fileBytes(at.knownHostsFile),
      marker: await fileBytes(at.markerFile),
    }
    await sim.updateState((s) => void (s.faults.host_key_changed = true))
    try {
      const run = await initProxmox(at)
      assert.equal(run.code, 20, run.stderr)
      assert.ok(run.stderr.includes(sim.hostKeyFingerprint), 'the known fingerprint')
      assert.ok(run.stderr.includes(sim.changedHostKeyFingerprint), 'the offered fingerprint')
      assert.doesNotMatch(run.stderr, NO_STACK)
      assert.deepEqual(
        {
          credentials: await fileBytes(at.credentialsFile),
          knownHosts: await fileBytes(at.knownHostsFile),
          marker: await fileBytes(at.markerFile),
        },
        before,
      )
      await assertNoLeaks(at, [first, run])
    } finally {
      await sim.updateState((s) => void delete s.faults.host_key_changed)
    }
  })
})
