// The plugin's formats through the core's hyops:env-formats hook: the plugin linked
// into the built hyops with `hyops plugins link`, a root made by `init hetzner` against the
// simulated API, then `hyops env hetzner` evaluated by sh and `hyops exec hetzner`.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {SIM_CA_FILE, startHcloudSim, type HcloudSim} from '../helpers/hcloud-sim.js'
import {cleanupTempDirs, homeWithPluginLinked, runHyops} from '../helpers/hyops-cli.js'
import {HYOPS_BIN} from '../helpers/paths.js'
import {rootForSim} from '../helpers/runtime-root.js'

// Quotes, $ and backticks: the token reaches the tools exactly as init validated it.
const TOKEN = `${randomBytes(8).toString('hex')}'"$x\`id\``

let sim: HcloudSim
let home: string
let root: string

/** `sh -c 'eval "$(hyops env ...)"; dump'`: the variables the eval added to the environment. */
async function evalEnv(args: string[]): Promise<Record<string, string>> {
  const dump = `exec node -e 'process.stdout.write(JSON.stringify(process.env))'`
  const run = (script: string) =>
    new Promise<Record<string, string>>((resolve, reject) => {
      const env = {HOME: home, LANG: 'C.UTF-8', PATH: process.env.PATH ?? '/usr/bin:/bin'}
      const child = spawn('sh', ['-c', script, 'sh', process.execPath, HYOPS_BIN, 'env', ...args], {cwd: home, env})
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child.on('error', reject)
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(stderr))))
    })
  const before = await run(`: "$@"; ${dump}`)
  const after = await run(`eval "$("$@")"; ${dump}`)
  return Object.fromEntries(Object.entries(after).filter(([name]) => !(name in before)))
}

describe('hyops env and exec with the Hetzner plugin linked', () => {
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

  it('--format hcloud sets HCLOUD_TOKEN, HCLOUD_ENDPOINT and SSL_CERT_FILE (the sim CA in a bundle)', async () => {
    const added = await evalEnv(['hetzner', '--format', 'hcloud', '--root', root, '--non-interactive'])
    const bundle = join(root, 'state', 'hetzner-ca-bundle.pem')
    assert.deepEqual(added, {HCLOUD_ENDPOINT: `${sim.url}/v1`, HCLOUD_TOKEN: TOKEN, SSL_CERT_FILE: bundle})
    const ca = (await readFile(SIM_CA_FILE, 'utf8')).trim()
    assert.ok((await readFile(bundle, 'utf8')).includes(ca))
  })

  it('--format tfvars sets TF_VAR_hcloud_token; the default format is hcloud', async () => {
    const tfvars = await evalEnv(['hetzner', '--format', 'tfvars', '--root', root, '--non-interactive'])
    assert.equal(tfvars.TF_VAR_hcloud_token, TOKEN)
    assert.equal(tfvars.HCLOUD_TOKEN, undefined)
    const byDefault = await evalEnv(['hetzner', '--root', root, '--non-interactive'])
    assert.equal(byDefault.HCLOUD_TOKEN, TOKEN)
  })

  it('hyops exec hetzner hands the token to the command; unknown formats name the plugin’s', async () => {
    const script = 'printf %s "$HCLOUD_TOKEN" | sha256sum'
    const run = await runHyops(['exec', 'hetzner', '--root', root, '--non-interactive', '--', 'sh', '-c', script], {
      home,
    })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, `${createHash('sha256').update(TOKEN).digest('hex')}  -\n`)

    const bad = await runHyops(['env', 'hetzner', '--format', 'bpg', '--root', root], {home})
    assert.equal(bad.code, 2, bad.stderr)
    assert.match(bad.stderr, /hetzner has no format "bpg" \(use --format hcloud\|tfvars\)/)
    const unknown = await runHyops(['env', 'nosuch', '--root', root], {home})
    assert.match(unknown.stderr, /use one of: hetzner, proxmox/)
  })
})
