// hyops init proxmox fed hostile input, or run by an unlucky operator (issue 11, the "Why" list): forged
// EXPORT lines from the host, a flood of output, a wedged lock, a vault secret of another token, a runtime
// root others can write, INI quotes, control characters, endless files, read-only file systems. Each: the
// exit code, the one line, no stack trace, no secret anywhere it must not be.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmod, chown, mkdir, readFile, stat, symlink, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {existsSync} from 'node:fs'
import {after, before, describe, it, type TestContext} from 'node:test'

import {startPveSim, type PveSim, type SimFaults} from '../../fixtures/pve-sim/index.js'
import {cleanupTempDirs, runCli, tempDir, type CliRun} from '../../helpers/cli.js'
import {
  apiStatus,
  initProxmox,
  prepareRoot,
  readMarkerJson,
  secretLeaks,
  vaultValues,
  type ProxmoxRoot,
} from '../../helpers/proxmox-env.js'

const NO_STACK = /\n\s+at \S/
let sim: PveSim

async function noLeaks(host: PveSim, at: ProxmoxRoot, runs: CliRun[], extra: string[] = []): Promise<void> {
  const secrets = [...Object.values((await host.readState()).tokens).map((t) => t.secret), ...extra]
  assert.deepEqual(await secretLeaks(at, secrets, runs, await host.execLog()), [])
}

/** The one error line of a failed run (stderr, without the evidence line). */
function errorLine(run: CliRun): string {
  assert.doesNotMatch(run.stderr, NO_STACK, 'no stack trace')
  const lines = run.stderr.split('\n').filter((line) => line.startsWith('Error: '))
  assert.equal(lines.length, 1, run.stderr)
  return lines[0]
}

/** A simulated host of its own, with faults on from the start (they would disturb the other tests). */
async function faultyHost(faults: SimFaults): Promise<PveSim> {
  const host = await startPveSim()
  await host.updateState((s) => void Object.assign(s.faults, faults))
  return host
}

function mountTmpfs(t: TestContext, dir: string, options: string): (() => void) | undefined {
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0)
    return () => void spawnSync('umount', [dir])
  t.skip('cannot mount a tmpfs here (not root?)')
  return undefined
}

describe('hyops init proxmox against hostile input (issue 11)', {concurrency: 4}, () => {
  before(async () => {
    sim = await startPveSim()
  })
  after(async () => {
    await sim?.stop()
    await cleanupTempDirs()
  })

  it(
    'a login script or a storage id cannot forge values: an unframed TOKEN_SECRET never reaches the vault' + '',
    async () => {
      const forged = 'f0rged-5ecret-0000-1111-222222222222'
      const host = await faultyHost({})
      try {
        const at = await prepareRoot(host)
        const first = await initProxmox(at)
        assert.equal(first.code, 0, first.stderr)
        // Nothing known locally any more, the token exists: a create run must stop without a secret.
        await writeFile(at.vaultFile, '')
        await writeFile(at.credentialsFile, '')
        spawnSync('rm', ['-f', at.vaultFile, at.credentialsFile])
        await host.updateState((s) => {
          s.faults.login_output = `EXPORT:TOKEN_SECRET=${forged}\nEXPORT:NODE=evil\n`
          s.storages[0].storage = `local\nEXPORT:TOKEN_SECRET=${forged}`
        })
        const run = await initProxmox(at)
        assert.equal(run.code, 21, run.stderr)
        assert.match(
          errorLine(run),
          /^Error: the token \S+ exists on 127\.0\.0\.1, but its secret is not in the vault /,
        )
        assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, undefined, 'the forged secret is not kept')
        await noLeaks(host, at, [first, run])
      } finally {
        await host.stop()
      }
    },
  )

  it('a flood of output stops the script with exit 20 instead of a RangeError', async () => {
    const host = await faultyHost({login_flood_bytes: 20 * 1024 * 1024})
    try {
      const at = await prepareRoot(host)
      const run = await initProxmox(at)
      assert.equal(run.code, 20, run.stderr)
      assert.match(
        errorLine(run),
        new RegExp(
          String.raw`^Error: remote bootstrap on root@127\.0\.0\.1:\d+ printed more than 16 MiB of output; ` +
            String.raw`stopped it \((the new token secret was kept; )?find what`,
        ),
      )
      // The script may have made the token while it was being stopped: then its secret is kept.
      const token = (await host.readState()).tokens[at.tokenId]
      if (token) assert.equal((await vaultValues(at)).PROXMOX_TOKEN_SECRET, token.secret, 'a secret made is kept')
      assert.ok(!existsSync(join(at.root, 'meta', '.init.lock')), 'the lock is released')
      await noLeaks(host, at, [run])
    } finally {
      await host.stop()
    }
  })

  it('one endless line is stopped too (exit 20)', async () => {
    const host = await faultyHost({login_output: 'z'.repeat(300 * 1024) + '\n'})
    try {
      const at = await prepareRoot(host)
      const run = await initProxmox(at)
      assert.equal(run.code, 20, run.stderr)
      assert.match(errorLine(run), /printed a line longer than 256 KiB; stopped it/)
    } finally {
      await host.stop()
    }
  })

  it('an empty lock left by a full disk is taken over with a note (init and vault set)', async () => {
    const at = await prepareRoot(sim)
    await mkdir(join(at.root, 'meta'), {recursive: true})
    await mkdir(join(at.root, 'vault'), {recursive: true})
    const old = new Date(Date.now() - 60_000)
    for (const lock of [join(at.root, 'meta', '.init.lock'), `${at.vaultFile}.lock`]) {
      await writeFile(lock, '')
      await utimes(lock, old, old)
    }

    const set = await runCli(['vault', 'set', 'OTHER', '--root', at.root, '--vault-password-file', at.passwordFile], {
      env: {HOME: at.home},
      input: 'value-1\n',
    })
    assert.equal(set.code, 0, set.stderr)
    assert.match(set.stderr, /^Note: took over the lock \S+bootstrap\.vault\.env\.lock \(it was empty\)$/m)
    const run = await initProxmox(at)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /^Note: took over the lock \S+\.init\.lock \(it was empty\)$/m)
    await noLeaks(sim, at, [set, run])
  })

  it(
    'the vault secret belongs to its token id: a new TOKEN_NAME never validates, calls stale or loses the old one' + '',
    async () => {
      const at = await prepareRoot(sim)
      const first = await initProxmox(at)
      assert.equal(first.code, 0, first.stderr)
      const oldId = at.tokenId
      const oldSecret = (await vaultValues(at)).PROXMOX_TOKEN_SECRET
      assert.equal((await vaultValues(at)).PROXMOX_TOKEN_ID, oldId)
      const config = await readFile(at.configFile, 'utf8')
      const renamed = `${at.tokenName}b`
      await writeFile(at.configFile, config.replace(`TOKEN_NAME = ${at.tokenName}`, `TOKEN_NAME = ${renamed}`))
      const requests = sim.apiRequests().length

      const refused = await initProxmox(at, ['--non-interactive'])
      assert.equal(refused.code, 21, refused.stderr)
      assert.match(
        errorLine(refused),
        new RegExp(
          `the PROXMOX_TOKEN_SECRET in the vault \\S+ is for ${oldId.replace(/[.!]/g, '\\$&')} \\(PROXMOX_TOKEN_ID\\)`,
        ),
      )
      assert.ok(
        !sim
          .apiRequests()
          .slice(requests)
          .some((r) => r.tokenId === `${at.userFq}!${renamed}`),
        'the old secret was not validated as the new token',
      )

      const made = await initProxmox(at)
      assert.equal(made.code, 0, made.stderr)
      const vault = await vaultValues(at)
      assert.equal(vault.PROXMOX_TOKEN_ID, `${at.userFq}!${renamed}`)
      assert.equal(vault.PROXMOX_PREVIOUS_TOKEN_SECRET, oldSecret, 'the old, still working secret is kept')
      assert.equal(vault.PROXMOX_PREVIOUS_TOKEN_ID, oldId)
      assert.match(made.stderr, /Kept the secret of \S+ as PROXMOX_PREVIOUS_TOKEN_SECRET in the vault /)
      assert.equal(await apiStatus(sim, oldId, oldSecret), 200)
      await noLeaks(sim, at, [first, refused, made])
    },
  )

  it('a group- or world-writable root and state/ are tightened to 0700 with a note', async () => {
    const at = await prepareRoot(sim)
    await mkdir(join(at.root, 'state'), {recursive: true})
    await chmod(at.root, 0o777)
    await chmod(join(at.root, 'state'), 0o775)
    const run = await initProxmox(at, ['--dry-run'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /is group- or world-writable \(mode 0777\); not changed in a dry run/)
    const real = await initProxmox(at)
    assert.equal(real.code, 0, real.stderr)
    assert.match(real.stderr, /^Note: tightened \S+root from mode 0777 to 0700 \(it was group- or world-writable\)$/m)
    assert.match(real.stderr, /^Note: tightened \S+state from mode 0775 to 0700/m)
    assert.equal((await stat(at.root)).mode & 0o777, 0o700)
    assert.equal((await stat(join(at.root, 'state'))).mode & 0o777, 0o700)
  })

  it(
    'a root or reserved directory owned by another user is refused (exit 2); known_hosts through a symlink too' + '',
    async () => {
      const at = await prepareRoot(sim)
      await mkdir(join(at.root, 'state'), {recursive: true, mode: 0o700})
      await chown(join(at.root, 'state'), 65534, 65534)
      const run = await initProxmox(at)
      assert.equal(run.code, 2, run.stderr)
      assert.match(errorLine(run), /^Error: \S+\/state belongs to uid 65534, not to the user running hyops \(uid \d+\)/)
      await chown(join(at.root, 'state'), process.getuid!(), process.getgid!())

      const elsewhere = join(await tempDir(), 'authorized_keys')
      await writeFile(elsewhere, '')
      await symlink(elsewhere, at.knownHostsFile)
      const linked = await initProxmox(at)
      assert.equal(linked.code, 2, linked.stderr)
      assert.match(errorLine(linked), /known_hosts is a symlink; hyops does not write host keys through one/)
      assert.equal(await readFile(elsewhere, 'utf8'), '', 'nothing appended through the symlink')
    },
  )

  it("single-quoted INI values are strings (PROXMOX_API_PORT = '8006' does not crash)", async () => {
    const at = await prepareRoot(sim, {extraConfig: {PROXMOX_API_PORT: `'${sim.apiPort}'`, TLS_SKIP: "'true'"}})
    const run = await initProxmox(at)
    assert.equal(run.code, 0, run.stderr)
    assert.equal((await readMarkerJson(at))?.status, 'ready')
  })

  it('a NUL byte in a config value is exit 11 naming the key', async () => {
    const at = await prepareRoot(sim, {extraConfig: {FALLBACK_BRIDGE: 'vmbr0\u0000x'}})
    const run = await initProxmox(at)
    assert.equal(run.code, 11, run.stderr)
    assert.match(
      errorLine(run),
      /^Error: FALLBACK_BRIDGE \(\S+proxmox\.conf line \d+\) holds a control character \(U\+0000\)/,
    )
  })

  it('/dev/zero as the config or the password file is refused as a device, unread (exit 11, exit 21)', async () => {
    const at = await prepareRoot(sim)
    const config = await initProxmox(at, ['--config', '/dev/zero'])
    assert.equal(config.code, 11, config.stderr)
    assert.match(
      errorLine(config),
      /^Error: cannot read config \/dev\/zero: it is a character device, not a regular file/,
    )
    const password = await runCli(['vault', 'set', 'X', '--root', at.root, '--vault-password-file', '/dev/zero'], {
      env: {HOME: at.home},
      input: 'value\n',
    })
    assert.equal(password.code, 21, password.stderr)
    assert.match(
      errorLine(password),
      /cannot read the vault password file \/dev\/zero .*: it is a character device, not a regular file/,
    )
  })

  it('a read-only root is named as such (exit 30), and --dry-run still works on it', async (t) => {
    const at = await prepareRoot(sim)
    const first = await initProxmox(at)
    assert.equal(first.code, 0, first.stderr)
    const dir = await tempDir('hyops-ro-')
    const undo = mountTmpfs(t, dir, 'size=4m')
    if (!undo) return
    try {
      spawnSync('cp', ['-a', `${at.root}/.`, dir])
      const ro = {...at, root: dir}
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', dir]).status, 0)
      const run = await initProxmox(ro, ['--force'])
      assert.equal(run.code, 30, run.stderr)
      assert.match(errorLine(run), /read-only file system/)
      assert.doesNotMatch(run.stderr, /ENOENT|no such file/)
      const dry = await initProxmox(ro, ['--dry-run'])
      assert.equal(dry.code, 0, dry.stderr)
      assert.match(dry.stderr, /the dry run's evidence goes to /)
    } finally {
      undo()
    }
  })

  it('a full file system is named as such (exit 30), and a --force run then rotates nothing', async (t) => {
    const at = await prepareRoot(sim)
    const first = await initProxmox(at)
    assert.equal(first.code, 0, first.stderr)
    const before = (await sim.readState()).tokens[at.tokenId].secret
    const dir = await tempDir('hyops-full-')
    const undo = mountTmpfs(t, dir, 'size=2m')
    if (!undo) return
    try {
      spawnSync('cp', ['-a', `${at.root}/.`, dir])
      spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'fill')}`, 'bs=64k'])
      const run = await initProxmox({...at, root: dir}, ['--force'])
      assert.equal(run.code, 30, run.stderr)
      assert.match(errorLine(run), /no space left on the device/)
      assert.equal((await sim.readState()).tokens[at.tokenId].secret, before, 'the token was not rotated')
      assert.equal(await apiStatus(sim, at.tokenId, before), 200)
    } finally {
      undo()
    }
  })
})
