import assert from 'node:assert/strict'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {cleanupTempDirs, runCli, tempDir, unwrapped} from '../../helpers/cli.js'

after(cleanupTempDirs)

describe('hyops init status', () => {
  it('exits 1 and says there are no markers for an empty root', async () => {
    const root = await tempDir()
    const run = await runCli(['init', 'status', '--root', root])
    assert.equal(run.code, 1)
    assert.match(run.stderr, /no readiness markers/)
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
  })

  it('lists each marker on one line and reports an unreadable one without failing the others', async () => {
    const root = await tempDir()
    await mkdir(join(root, 'meta'))
    await writeFile(
      join(root, 'meta', 'proxmox.ready.json'),
      JSON.stringify({
        generated_at: '2026-11-25T10:00:00Z',
        run_id: 'init-proxmox-1',
        status: 'ready',
        target: 'proxmox',
      }),
    )
    await writeFile(join(root, 'meta', 'broken.ready.json'), '{not json')
    const run = await runCli(['init', 'status', '--root', root])
    assert.equal(run.code, 0, run.stderr)
    // Each target on one line, wrapped at 80 columns when piped (a long path goes on the next line).
    assert.ok(
      run.stdout.split('\n').every((line) => line.length <= 80),
      run.stdout,
    )
    assert.deepEqual(unwrapped(run.stdout.trim()).split('\n'), [
      `broken: unreadable (not valid JSON) (${join(root, 'meta', 'broken.ready.json')})`,
      'proxmox: ready (run_id=init-proxmox-1, generated_at=2026-11-25T10:00:00Z)',
    ])
    const json = await runCli(['init', 'status', '--root', root, '--json'])
    const parsed = JSON.parse(json.stdout)
    assert.deepEqual(
      parsed.targets.map((t: {target: string; status: string}) => [t.target, t.status]),
      [
        ['broken', 'unreadable'],
        ['proxmox', 'ready'],
      ],
    )
  })

  it('uses HYOPS_ENV and --env under ~/.hybridops/envs', async () => {
    const home = await tempDir()
    const meta = join(home, '.hybridops', 'envs', 'dev', 'meta')
    await mkdir(meta, {recursive: true})
    await writeFile(
      join(meta, 'x.ready.json'),
      JSON.stringify({generated_at: 'g', run_id: 'r', status: 'ready', target: 'x'}),
    )
    for (const args of [['--env', 'dev'], []]) {
      const run = await runCli(['init', 'status', ...args], {
        env: {HOME: home, HYOPS_ENV: args.length === 0 ? 'dev' : undefined},
      })
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /^x: ready/)
    }
  })

  it("shows the token's expiry, and --check fails on an expired one naming the date (clock moved)", async () => {
    const root = await tempDir()
    await mkdir(join(root, 'meta'))
    const expire = Date.UTC(2030, 0, 5, 12) / 1000
    await writeFile(
      join(root, 'meta', 'proxmox.ready.json'),
      JSON.stringify({
        generated_at: '2029-12-06T12:00:00Z',
        paths: {},
        run_id: 'init-proxmox-2',
        status: 'ready',
        target: 'proxmox',
        token: {action: 'created', expire, expire_iso: '2030-01-05T12:00:00.000Z', id: 'a@pve!t', managed: true},
      }),
    )
    // The clock 10 days before the expiry, then a day after it.
    const offset = (at: number) => String(Math.round(at - Date.now() / 1000))
    const before = await runCli(['init', 'status', '--root', root, '--json'], {
      env: {HYOPS_TEST_CLOCK_OFFSET: offset(expire - 10 * 86_400)},
    })
    assert.equal(before.code, 0, before.stderr)
    const entry = JSON.parse(before.stdout).targets[0]
    assert.equal(entry.token_expire, expire)
    assert.equal(entry.token_expire_iso, '2030-01-05T12:00:00.000Z')
    const text = await runCli(['init', 'status', '--root', root], {
      env: {HYOPS_TEST_CLOCK_OFFSET: offset(expire - 10 * 86_400)},
    })
    assert.match(unwrapped(text.stdout), /; token expires 2030-01-05, in 10 days$/m)

    const check = await runCli(['init', 'status', '--root', root, '--check', '--non-interactive'], {
      env: {HYOPS_TEST_CLOCK_OFFSET: offset(expire + 86_400)},
    })
    assert.equal(check.code, 21, check.stderr)
    assert.match(check.stdout, /check: FAILED \(exit 21\): a@pve!t expired on 2030-01-05, 1 day ago/)
  })

  it('refuses --root with --env, and bad env names, with exit 2', async () => {
    const both = await runCli(['init', 'status', '--root', '/tmp/x', '--env', 'y'])
    assert.equal(both.code, 2)
    assert.match(both.stderr, /--root|--env/)
    for (const bad of ['../x', 'a/b']) {
      const run = await runCli(['init', 'status', '--env', bad])
      assert.equal(run.code, 2, bad)
      assert.match(run.stderr, /not a valid env name/)
    }

    const json = await runCli(['init', 'status', '--env', 'a/b', '--json'])
    assert.equal(json.code, 2)
    assert.equal(JSON.parse(json.stdout).error.exit_code, 2)
  })
})

describe('hyops basics', () => {
  it('prints its version and help', async () => {
    const version = await runCli(['--version'])
    assert.equal(version.code, 0)
    assert.match(version.stdout, /^hyops\/\d+\.\d+\.\d+ /)
    const help = await runCli(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /init/)
    const initHelp = await runCli(['init', '--help'])
    assert.equal(initHelp.code, 0)
    assert.match(initHelp.stdout, /status/)
  })

  it('an unknown target is a usage error', async () => {
    const run = await runCli(['init', 'nosuchtarget'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /not found|nosuchtarget/i)
  })
})
