// `hyops revoke hetzner` through the core's hyops:revoke-target hook, with the plugin linked into the built hyops:
// the token is forgotten on this machine (vault key, credentials file, marker as revoked), the operator is told to
// delete it in the console, and `hyops env hetzner` then refuses (exit 21).
import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startHcloudSim, type HcloudSim} from '../helpers/hcloud-sim.js'
import {cleanupTempDirs, homeWithPluginLinked, runHyops} from '../helpers/hyops-cli.js'
import {rootForSim} from '../helpers/runtime-root.js'

const TOKEN = 'hcloud-revoke-test-token-0123456789'

describe('hyops revoke hetzner with the plugin linked', () => {
  let sim: HcloudSim
  let home: string
  let root: string
  before(async () => {
    sim = await startHcloudSim([TOKEN])
    home = await homeWithPluginLinked()
    root = await rootForSim(sim.url)
    const init = await runHyops(['init', 'hetzner', '--root', root, '--non-interactive'], {
      env: {HCLOUD_TOKEN: TOKEN},
      home,
    })
    assert.equal(init.code, 0, init.stderr)
  })
  after(async () => {
    await sim?.close()
    await cleanupTempDirs()
  })

  it('forgets the token here, says where to delete it, refuses env afterwards; a second revoke: no-op', async () => {
    const credentials = join(root, 'credentials', 'hetzner.credentials.tfvars')
    const marker = join(root, 'meta', 'hetzner.ready.json')
    const dry = await runHyops(['revoke', 'hetzner', '--root', root, '--dry-run'], {home})
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /Hetzner Cloud Console/)
    assert.ok(existsSync(credentials), '--dry-run keeps the credentials')

    const run = await runHyops(['revoke', 'hetzner', '--root', root, '--yes', '--non-interactive'], {home})
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /Warning: delete the token itself in the Hetzner Cloud Console/)
    assert.ok(!existsSync(credentials), 'the credentials file is gone')
    assert.equal(JSON.parse(await readFile(marker, 'utf8')).status, 'revoked')
    assert.ok(!run.stdout.includes(TOKEN) && !run.stderr.includes(TOKEN), 'the token is never printed')

    const env = await runHyops(['env', 'hetzner', '--root', root, '--non-interactive'], {home})
    assert.equal(env.code, 21, env.stderr)
    const again = await runHyops(['revoke', 'hetzner', '--root', root, '--yes'], {home})
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /Nothing to revoke/)
  })
})
