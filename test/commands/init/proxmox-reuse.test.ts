// hyops init proxmox across environments (issue 5, acceptance 1-5): a token secret that
// works in one env is reused by another instead of rotating the token under it; a stale secret
// heals from a sibling. The built CLI in its own process against the simulated host; the
// interactive cases in a real pseudo-terminal (tmux). Needs `npm run build` first.
import assert from 'node:assert/strict'
import {cp, mkdir, readdir, readFile, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startPveSim, type PveSim} from '../../fixtures/pve-sim/index.js'
import {CLI, cleanupTempDirs, tempDir} from '../../helpers/cli.js'
import {TerminalSession} from '../../helpers/terminal.js'
import type {CliRun} from '../../helpers/cli.js'
import {
  apiStatus,
  fileBytes,
  freshTokenName,
  initProxmox,
  prepareRoot,
  readMarkerJson,
  readTfvars,
  scanForSecret,
  secretLeaks,
  vaultValues,
  type ProxmoxRoot,
} from '../../helpers/proxmox-env.js'

let sim: PveSim

before(async () => {
  sim = await startPveSim()
})
after(async () => {
  await sim?.stop()
  await cleanupTempDirs()
})

/**
 * Runtime roots `<envsDir>/<name>` for one token on the simulated host, sharing one HOME and
 * one vault password. `envsDir` is `~/.hybridops/envs` unless given.
 */
async function makeEnvs(
  names: string[],
  options: {envsDir?: string} = {},
): Promise<{home: string; envsDir: string; roots: Record<string, ProxmoxRoot>}> {
  const home = await tempDir('hyops-home-')
  const envsDir = options.envsDir ?? join(home, '.hybridops', 'envs')
  const tokenName = freshTokenName()
  const roots: Record<string, ProxmoxRoot> = {}
  for (const name of names) {
    const at = await prepareRoot(sim, {home, root: join(envsDir, name), tokenName})
    const first = roots[names[0]]
    roots[name] = first ? {...at, password: first.password, passwordFile: first.passwordFile} : at
  }

  return {envsDir, home, roots}
}

async function hostSecret(tokenId: string): Promise<string | undefined> {
  return (await sim.readState()).tokens[tokenId]?.secret
}

/** `pveum user token add|remove` the host ran since log line `from`. */
async function tokenChanges(from: number): Promise<string[]> {
  return (await sim.execLog())
    .slice(from)
    .filter((argv) => argv[0] === 'pveum' && argv[2] === 'token' && (argv[3] === 'add' || argv[3] === 'remove'))
    .map((argv) => argv.slice(0, 4).join(' '))
}

/** `meta.json` of the newest evidence run of a root (run ids of one second sort by their random part). */
async function lastEvidence(at: ProxmoxRoot): Promise<Record<string, unknown>> {
  const dir = join(at.root, 'logs', 'init', 'proxmox')
  const metas = await Promise.all(
    (await readdir(dir)).map(
      async (run) => JSON.parse(await readFile(join(dir, run, 'meta.json'), 'utf8')) as Record<string, unknown>,
    ),
  )
  return metas.sort((x, y) => String(x.started_at).localeCompare(String(y.started_at))).at(-1)!
}

/**
 * Where the secrets must not be: any file under HOME (which holds every env) but the envs'
 * vaults and credentials files, the runs' output and argv, and what the host saw.
 */
async function leaks(home: string, roots: ProxmoxRoot[], secrets: string[], runs: CliRun[]): Promise<string[]> {
  const except = roots.flatMap((r) => [r.vaultFile, r.credentialsFile])
  const found: string[] = []
  for (const secret of secrets) for (const file of await scanForSecret(home, secret, {except})) found.push(file)
  const emptyHome = await tempDir('hyops-empty-')
  for (const root of roots)
    found.push(...(await secretLeaks({...root, home: emptyHome}, secrets, runs, await sim.execLog())))
  return found
}

/** A first run (no terminal, so it may create the token) that must succeed; returns the secret. */
async function initialise(at: ProxmoxRoot): Promise<string> {
  const run = await initProxmox(at)
  assert.equal(run.code, 0, run.stderr)
  const secret = (await vaultValues(at)).PROXMOX_TOKEN_SECRET
  assert.ok(secret)
  return secret
}

describe('hyops init proxmox: token reuse across envs (non-interactive)', () => {
  it('1. env b without a secret reuses env a secret: the token is not rotated, and a keeps working', async () => {
    const {home, roots} = await makeEnvs(['a', 'b'])
    const {a, b} = roots
    const secret = await initialise(a)
    const from = (await sim.execLog()).length

    const run = await initProxmox(b, ['--non-interactive'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(
      run.stderr,
      new RegExp(
        `Reusing the secret of ${b.tokenId.replace('!', '!')} on 127\\.0\\.0\\.1 from the env "a" ` +
          `\\(its (vault|credentials file), validated\\): the token is not rotated`,
      ),
    )
    assert.match(run.stdout, /Token id\s+\S+\s+reused/)
    assert.equal(await hostSecret(b.tokenId), secret, 'the host still has the same secret')
    assert.deepEqual(await tokenChanges(from), [], 'no token was added or removed')
    assert.ok((await sim.execCommands()).length > 0)

    assert.equal((await vaultValues(b)).PROXMOX_TOKEN_SECRET, secret, 'the reused secret is in b vault')
    const tfvars = await readTfvars(b)
    assert.equal(tfvars.values.proxmox_token_secret, secret)
    assert.equal(tfvars.mode, 0o600)
    const marker = await readMarkerJson(b)
    assert.equal(marker?.status, 'ready')
    assert.deepEqual(marker?.token, {action: 'reused', from_env: 'a', id: b.tokenId})
    const meta = await lastEvidence(b)
    assert.equal((meta.token_reuse as {decision: string}).decision, 'reused')
    assert.deepEqual((meta.token_reuse as {found: unknown}).found, {
      env: 'a',
      source: (meta.token_decision as {from_source: string}).from_source,
    })
    assert.equal((meta.outcome as {reused_from: string}).reused_from, 'a')
    assert.deepEqual(await leaks(home, [a, b], [secret], [run]), [])

    assert.equal(await apiStatus(sim, a.tokenId, secret), 200, 'a secret still works')
    const again = await initProxmox(a, ['--non-interactive'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal((await readMarkerJson(a))?.token?.action, 'kept')
  })

  it('3. env b with a stale secret (rotated from a) heals from a without rotating', async () => {
    const {home, roots} = await makeEnvs(['a', 'b'])
    const {a, b} = roots
    const old = await initialise(a)
    // No terminal and no --non-interactive: no one to ask, so the reuse is automatic too.
    const first = await initProxmox(b)
    assert.equal(first.code, 0, first.stderr)
    assert.deepEqual((await readMarkerJson(b))?.token, {action: 'reused', from_env: 'a', id: b.tokenId})
    const rotate = await initProxmox(a, ['--force', '--non-interactive'])
    assert.equal(rotate.code, 0, rotate.stderr)
    const fresh = await hostSecret(a.tokenId)
    assert.ok(fresh && fresh !== old)
    assert.equal((await vaultValues(b)).PROXMOX_TOKEN_SECRET, old, 'b now holds a stale secret')
    const from = (await sim.execLog()).length

    const run = await initProxmox(b, ['--non-interactive'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(
      run.stderr,
      new RegExp(
        'Proxmox rejected the secret of \\S+ from the vault .*\\(rotated elsewhere\\?\\); ' +
          'looking for a working one in the sibling envs',
      ),
    )
    assert.match(run.stderr, /from the env "a" \(.*\): the secret here was stale; the token is not rotated/)
    assert.deepEqual(await tokenChanges(from), [])
    assert.equal(await hostSecret(a.tokenId), fresh)
    assert.equal((await vaultValues(b)).PROXMOX_TOKEN_SECRET, fresh)
    assert.equal((await readTfvars(b)).values.proxmox_token_secret, fresh)
    assert.deepEqual((await readMarkerJson(b))?.token, {action: 'reused', from_env: 'a', id: b.tokenId})
    assert.equal(
      (await lastEvidence(b)).token_decision && ((await lastEvidence(b)).token_decision as {why: string}).why,
      'stale',
    )
    assert.deepEqual(await leaks(home, [a, b], [old, fresh], [run]), [])
  })

  it(
    '3b. a stale secret no sibling can heal: --non-interactive stops with exit 21 and --force, ' +
      'rotating nothing and changing no file',
    async () => {
      const {roots} = await makeEnvs(['a', 'b'])
      const {a, b} = roots
      await initialise(a)
      assert.equal((await initProxmox(b, ['--non-interactive'])).code, 0)
      // Rotated behind every env's back.
      await sim.updateState((state) => void (state.tokens[a.tokenId].secret = 'rotated-by-someone-else-0123456789'))
      const files = [b.vaultFile, b.credentialsFile, b.markerFile]
      const before = await Promise.all(files.map((f) => fileBytes(f)))
      const from = (await sim.execLog()).length

      const run = await initProxmox(b, ['--non-interactive'])
      assert.equal(run.code, 21, run.stderr)
      assert.match(
        run.stderr,
        new RegExp(
          'Error: Proxmox rejected the secret of \\S+ from the vault .* \\(stale: .*\\), ' +
            'and no sibling env holds a working one \\(pass --force to rotate the token',
        ),
      )
      assert.match(run.stderr, /1 env matched, holding only the secret that was just rejected/)
      assert.doesNotMatch(run.stderr, /\n\s+at \S/)
      assert.deepEqual(await tokenChanges(from), [])
      assert.deepEqual(await Promise.all(files.map((f) => fileBytes(f))), before)
    },
  )

  it('4. --force rotates and reads no sibling (a broken sibling that is noted otherwise stays silent)', async () => {
    const {roots} = await makeEnvs(['a', 'b', 'c'])
    const {a, b, c} = roots
    const secret = await initialise(a)
    await mkdir(c.credentialsFile, {recursive: true})

    const dry = await initProxmox(b, ['--dry-run', '--non-interactive'])
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(
      dry.stderr,
      /skipped env "c": cannot read credentials\/proxmox\.credentials\.tfvars \(it is a directory, not a regular file/,
      'without --force the siblings are read',
    )
    assert.match(dry.stdout, /reuse the working secret of \S+ from the env "a"/)

    const from = (await sim.execLog()).length
    const run = await initProxmox(b, ['--force', '--non-interactive'])
    assert.equal(run.code, 0, run.stderr)
    assert.doesNotMatch(run.stderr, /skipped env|sibling envs|Reusing/)
    assert.deepEqual(await tokenChanges(from), ['pveum user token remove', 'pveum user token add'])
    const rotated = await hostSecret(b.tokenId)
    assert.ok(rotated && rotated !== secret)
    assert.equal((await vaultValues(b)).PROXMOX_TOKEN_SECRET, rotated)
    assert.deepEqual((await readMarkerJson(b))?.token, {action: 'rotated', id: b.tokenId})
    const meta = await lastEvidence(b)
    assert.equal(meta.token_reuse, undefined, 'no scan was recorded')
    assert.ok(!(meta.decisions as {reused_from: unknown}).reused_from)
  })

  it(
    '5. siblings for another host, another token id or another port are never used, in an envs ' +
      'folder outside HOME',
    async () => {
      const base = await tempDir('hyops-envs-')
      const envsDir = join(base, 'envs')
      const {home, roots} = await makeEnvs(['b'], {envsDir})
      const {b} = roots
      // The source of the real secret lives outside the envs folder.
      const source = {
        ...(await prepareRoot(sim, {home, root: join(base, 'source'), tokenName: b.tokenName})),
        password: b.password,
        passwordFile: b.passwordFile,
      }
      const secret = await initialise(source)
      const text = await readFile(source.credentialsFile, 'utf8')
      const url = `https://127.0.0.1:${sim.apiPort}/api2/json`
      const decoys: Record<string, string> = {
        'other-host': text.replace(url, `https://localhost:${sim.apiPort}/api2/json`),
        'other-port': text.replace(url, `https://127.0.0.1:${sim.apiPort + 1}/api2/json`),
        'other-token': text.replace(`"${b.tokenId}"`, `"${b.userFq}!other-token"`),
      }
      for (const [name, body] of Object.entries(decoys)) {
        assert.notEqual(body, text, name)
        await mkdir(join(envsDir, name, 'credentials'), {recursive: true})
        await writeFile(join(envsDir, name, 'credentials', 'proxmox.credentials.tfvars'), body, {mode: 0o600})
        await cp(source.vaultFile, join(envsDir, name, 'vault', 'bootstrap.vault.env'))
      }

      const requests = sim.apiRequests().length
      const run = await initProxmox(b, ['--non-interactive'])
      assert.equal(run.code, 21, run.stderr)
      assert.match(
        run.stderr,
        new RegExp(
          `PROXMOX_TOKEN_SECRET is not in the vault \\S+, no sibling env in ` +
            `${envsDir.replaceAll('/', '\\/')} holds a working one, and --non-interactive forbids ` +
            `making a token`,
        ),
      )
      assert.equal(sim.apiRequests().length, requests, 'no decoy was even validated')
      const scan = (await lastEvidence(b)).token_reuse as {envs: number; matched: string[]; tried: number}
      assert.deepEqual([scan.envs, scan.matched, scan.tried], [3, [], 0])
      assert.deepEqual(await vaultValues(b), {})

      // The same folder with one right sibling: that one is used, not a decoy.
      await mkdir(join(envsDir, 'right', 'credentials'), {recursive: true})
      await writeFile(join(envsDir, 'right', 'credentials', 'proxmox.credentials.tfvars'), text, {mode: 0o600})
      const ok = await initProxmox(b, ['--non-interactive'])
      assert.equal(ok.code, 0, ok.stderr)
      assert.match(ok.stderr, /from the env "right"/)
      assert.equal((await vaultValues(b)).PROXMOX_TOKEN_SECRET, secret)
    },
  )
})

describe('hyops init proxmox: token reuse at scale', () => {
  it(
    '6. forty stale siblings (the API refuses each after 3 s) and the valid one, oldest of ' +
      'all: reused, the scan well under the delay',
    async () => {
      const {envsDir, home, roots} = await makeEnvs(['valid', 'b'])
      const {b, valid} = roots
      const secret = await initialise(valid)
      const text = await readFile(valid.credentialsFile, 'utf8')
      const old = new Date(Date.now() - 86_400_000)
      await utimes(valid.credentialsFile, old, old)
      await utimes(valid.markerFile, old, old)
      for (let i = 0; i < 40; i++) {
        const credentials = join(envsDir, `stale-${i}`, 'credentials')
        await mkdir(credentials, {recursive: true})
        await writeFile(
          join(credentials, 'proxmox.credentials.tfvars'),
          text.replace(secret, `stale-${i}-${secret.slice(8)}`),
          {mode: 0o600},
        )
      }

      await sim.updateState((state) => void (state.faults.bad_token_delay_ms = 3000))
      try {
        const from = (await sim.execLog()).length
        const run = await initProxmox(b, ['--non-interactive'])
        assert.equal(run.code, 0, run.stderr)
        assert.match(run.stderr, /from the env "valid"/)
        assert.deepEqual(await tokenChanges(from), [])
        const scan = (await lastEvidence(b)).token_reuse as {duration_ms: number; matched: string[]}
        assert.equal(scan.matched.length, 41)
        assert.equal(scan.matched.at(-1), 'valid', 'the valid env is the least likely')
        assert.ok(scan.duration_ms < 2500, `the scan took ${scan.duration_ms} ms: not concurrent`)
        assert.deepEqual(await leaks(home, [b, valid], [secret], [run]), [])
      } finally {
        await sim.updateState((state) => void delete state.faults.bad_token_delay_ms)
      }
    },
  )
})

describe('hyops init proxmox: token reuse at a terminal', () => {
  const runAtTerminal = async (at: ProxmoxRoot, answers: Array<[RegExp, ...string[]]>, args: string[] = []) => {
    const dir = await tempDir('hyops-pane-')
    const argv = [
      process.execPath,
      CLI,
      'init',
      'proxmox',
      '--root',
      at.root,
      '--vault-password-file',
      at.passwordFile,
      ...args,
    ]
    const pane = await TerminalSession.start(
      argv,
      {HOME: at.home, LANG: 'C.UTF-8', NO_COLOR: '1', PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm'},
      dir,
    )
    try {
      const {code, screen} = await pane.answerUntilExit(answers.map(([when, ...keys]) => ({keys, when})))
      return {code, screen}
    } finally {
      await pane.kill()
    }
  }

  it(
    '2. answered "n": b does not reuse, and with the token on the host and no --force it stops ' +
      'instead of rotating',
    async () => {
      const {roots} = await makeEnvs(['a', 'b'])
      const {a, b} = roots
      const secret = await initialise(a)
      const commands = (await sim.execCommands()).length
      const from = (await sim.execLog()).length

      const run = await runAtTerminal(b, [
        [/The env "a" holds a working API token for 127\.0\.0\.1, token \S+\. Reuse it\? \(Y\/n\)/, 'n', 'Enter'],
      ])
      assert.equal(run.code, 21, run.screen)
      assert.match(
        run.screen,
        new RegExp(
          'Error: the token \\S+ exists on 127\\.0\\.0\\.1 and the env "a" uses it; its secret was not reused, ' +
            'and hyops does not rotate a token in use without --force',
        ),
      )
      assert.match(run.screen, /pass --force to rotate it \(breaks "a" and its other users\)/)
      assert.doesNotMatch(run.screen, /Rotate it/, 'no offer to rotate')
      assert.equal(await hostSecret(b.tokenId), secret)
      assert.deepEqual(await tokenChanges(from), [])
      assert.equal((await sim.execCommands()).length, commands, 'b never ran the bootstrap')
      assert.deepEqual(await vaultValues(b), {})
      assert.equal(await fileBytes(b.credentialsFile), undefined)
    },
  )

  it('Enter takes the default (yes): b reuses a secret', async () => {
    const {roots} = await makeEnvs(['a', 'b'])
    const {a, b} = roots
    const secret = await initialise(a)
    const from = (await sim.execLog()).length
    const run = await runAtTerminal(b, [
      [/Reuse it\? \(Y\/n\)/, 'Enter'],
      [/Trust it and continue\? \(y\/N\)/, 'y', 'Enter'],
    ])
    assert.equal(run.code, 0, run.screen)
    assert.match(run.screen, /Reusing the secret of \S+ on 127\.0\.0\.1 from the env "a"/)
    assert.deepEqual(await tokenChanges(from), [])
    assert.equal((await vaultValues(b)).PROXMOX_TOKEN_SECRET, secret)
    assert.deepEqual((await readMarkerJson(b))?.token, {action: 'reused', from_env: 'a', id: b.tokenId})
  })

  it('a stale secret no sibling can heal: asked, then rotated over SSH, saying why', async () => {
    const {roots} = await makeEnvs(['a', 'b'])
    const {a, b} = roots
    await initialise(a)
    assert.equal((await initProxmox(b, ['--non-interactive'])).code, 0)
    await sim.updateState((state) => void (state.tokens[a.tokenId].secret = 'rotated-by-someone-else-0123456789'))
    const from = (await sim.execLog()).length

    const run = await runAtTerminal(b, [[/Rotate it \(breaks its current users\)\? \(y\/N\)/, 'y', 'Enter']])
    assert.equal(run.code, 0, run.screen)
    assert.match(
      run.screen,
      /Rotating \S+ on 127\.0\.0\.1: the secret from the vault \S+ is stale and no sibling env holds a working one/,
    )
    assert.deepEqual(await tokenChanges(from), ['pveum user token remove', 'pveum user token add'])
    const rotated = await hostSecret(b.tokenId)
    assert.equal((await vaultValues(b)).PROXMOX_TOKEN_SECRET, rotated)
    assert.deepEqual((await readMarkerJson(b))?.token, {action: 'rotated', id: b.tokenId})
  })
})
