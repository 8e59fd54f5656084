// The token after day one, on 7.4, 8, 9 and 9.1 with a moved clock (hyops' HYOPS_TEST_CLOCK_OFFSET and the
// simulated host's clock_offset_s together, no faked libc clock): TOKEN_EXPIRE recorded on the host, in the marker, the
// summary and init status; 27 days later a non-interactive re-run renews the token (9.1: one token modify
// --regenerate; before: remove + add), the old secret is refused and the new one works, grants kept, the new
// expiry 30 days from the renewal; an expired token fails init status --check naming the date and a plain re-run
// replaces it.
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {after, before, describe, it} from 'node:test'

import {startPveSim, type PveSim, type SimProfile} from '../../fixtures/pve-sim/index.js'
import {cleanupTempDirs, runCli, unwrapped} from '../../helpers/cli.js'
import {
  apiStatus,
  initProxmox,
  prepareRoot,
  readMarkerJson,
  vaultValues,
  type ProxmoxRoot,
} from '../../helpers/proxmox-env.js'

const DAY = 86_400

/** Moves both clocks (hyops' and the host's) `days` ahead; the env to run hyops with. */
async function clockAt(sim: PveSim, days: number): Promise<Record<string, string>> {
  await sim.updateState((s) => void (s.clock_offset_s = days * DAY))
  return {HYOPS_TEST_CLOCK_OFFSET: String(days * DAY)}
}

function isoDay(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10)
}

/** The host calls of this root's user (the host is shared by nothing else here, but be exact). */
async function callsOf(sim: PveSim, at: ProxmoxRoot, from: number): Promise<string[]> {
  return (await sim.hostCalls())
    .slice(from)
    .filter((argv) => argv.some((arg) => arg.includes(at.userFq)))
    .map((argv) => argv.join(' '))
}

for (const profile of ['pve7.4', 'pve8', 'pve9', 'pve9.1'] as const satisfies readonly SimProfile[]) {
  describe(`the token's life on ${profile}`, {timeout: 300_000}, () => {
    let sim: PveSim
    before(async () => {
      sim = await startPveSim({profile, state: {auth_fail_delay_ms: 20}})
    })
    after(async () => {
      await sim?.stop()
      await cleanupTempDirs()
    })

    it('records the expiry, renews 27 days later in place (9.1) or by remove + add, grants kept', async () => {
      const at = await prepareRoot(sim, {
        extraConfig: {TOKEN_EXPIRE: 30, TOKEN_PRIVSEP: 'true'},
        userFq: `d${randomBytes(3).toString('hex')}@pve`,
      })
      const first = await initProxmox(at, [], await clockAt(sim, 0))
      assert.equal(first.code, 0, first.stderr)
      const made = (await sim.readState()).tokens[at.tokenId]
      const now = Math.floor(Date.now() / 1000)
      assert.ok(Math.abs(made.expire - (now + 30 * DAY)) < 300, `expiry on the host: ${made.expire}`)
      const marker = await readMarkerJson(at)
      assert.equal(marker?.token?.expire, made.expire)
      assert.equal(marker?.token?.expire_iso, new Date(made.expire * 1000).toISOString())
      assert.equal(marker?.token?.managed, true)
      assert.match(first.stdout, new RegExp(`expires ${isoDay(made.expire)}, in 30 days`))
      const status = await runCli(['init', 'status', '--root', at.root], {env: {HOME: at.home}})
      assert.match(status.stdout, new RegExp(`token expires ${isoDay(made.expire)}, in 30 days`))

      const env = await clockAt(sim, 27)
      // Inside the renewal window: --check still passes, with a warning naming the expiry.
      const check = await runCli(
        ['init', 'status', '--root', at.root, '--check', '--vault-password-file', at.passwordFile],
        {env: {HOME: at.home, ...env}},
      )
      assert.equal(check.code, 0, check.stdout + check.stderr)
      assert.match(
        unwrapped(check.stdout),
        new RegExp(
          `warning: ${at.tokenId.replace(/[.!]/g, '\\$&')} expires ${isoDay(made.expire)}, in 3 days, ` +
            'inside the renewal window',
        ),
      )
      const tokenGrants = (await sim.readState()).acls.filter((a) => a.ugid === at.tokenId)
      assert.ok(tokenGrants.length > 0, 'the privsep token has its own grant')
      const from = (await sim.hostCalls()).length
      const renewal = await initProxmox(at, ['--non-interactive'], env)
      assert.equal(renewal.code, 0, renewal.stderr)
      const calls = await callsOf(sim, at, from)
      if (profile === 'pve9.1') {
        assert.equal(
          calls.filter((c) => /^pveum user token modify .* --regenerate 1/.test(c)).length,
          1,
          calls.join('\n'),
        )
        assert.ok(!calls.some((c) => /^pveum user token (remove|add)/.test(c)), calls.join('\n'))
        assert.ok(calls.length <= 2, `at most 2 host calls: ${calls.join('; ')}`)
      } else {
        assert.ok(
          calls.some((c) => c.startsWith('pveum user token remove')),
          calls.join('\n'),
        )
        assert.ok(
          calls.some((c) => c.startsWith('pveum user token add')),
          calls.join('\n'),
        )
      }

      const renewed = (await sim.readState()).tokens[at.tokenId]
      const secret = (await vaultValues(at)).PROXMOX_TOKEN_SECRET
      assert.equal(secret, renewed.secret)
      assert.equal(await apiStatus(sim, at.tokenId, made.secret), 401, 'the old secret is refused')
      assert.equal(await apiStatus(sim, at.tokenId, secret), 200, 'the new secret works')
      assert.ok(Math.abs(renewed.expire - (now + 57 * DAY)) < 300, 'the new expiry is 30 days from the renewal')
      const after = (await sim.readState()).acls.filter((a) => a.ugid === at.tokenId)
      assert.deepEqual(after, tokenGrants, 'the token keeps its grants')
      const renewedMarker = await readMarkerJson(at)
      assert.equal(renewedMarker?.status, 'ready')
      assert.equal(renewedMarker?.token?.action, 'renewed')
      assert.equal(renewedMarker?.token?.expire, renewed.expire)

      // A re-run inside the window no more: nothing renewed, no token call.
      const quiet = (await sim.hostCalls()).length
      const rerun = await initProxmox(at, [], env)
      assert.equal(rerun.code, 0, rerun.stderr)
      assert.equal((await sim.readState()).tokens[at.tokenId].secret, renewed.secret)
      assert.ok(!(await callsOf(sim, at, quiet)).some((c) => c.includes(' token ')))
    })

    it('an expired token fails init status --check naming the date; a plain re-run replaces it', async () => {
      const at = await prepareRoot(sim, {
        extraConfig: {TOKEN_EXPIRE: 30},
        userFq: `e${randomBytes(3).toString('hex')}@pve`,
      })
      const first = await initProxmox(at, [], await clockAt(sim, 0))
      assert.equal(first.code, 0, first.stderr)
      const old = (await sim.readState()).tokens[at.tokenId]
      const env = await clockAt(sim, 31)
      const check = await runCli(
        ['init', 'status', '--root', at.root, '--check', '--vault-password-file', at.passwordFile],
        {env: {HOME: at.home, ...env}},
      )
      assert.equal(check.code, 21, check.stdout + check.stderr)
      assert.match(check.stdout, new RegExp(`expired on ${isoDay(old.expire)}, 1 day ago`))
      const rerun = await initProxmox(at, [], env)
      assert.equal(rerun.code, 0, rerun.stderr)
      const now = (await sim.readState()).tokens[at.tokenId]
      assert.notEqual(now.secret, old.secret)
      assert.equal(await apiStatus(sim, at.tokenId, now.secret), 200)
      assert.equal((await readMarkerJson(at))?.status, 'ready')
      await clockAt(sim, 0)
    })
  })
}
