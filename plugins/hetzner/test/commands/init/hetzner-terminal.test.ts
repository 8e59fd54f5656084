import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {startHcloudSim, type HcloudSim} from '../../helpers/hcloud-sim.js'
import {cleanupTempDirs, homeWithPluginLinked, runHyops} from '../../helpers/hyops-cli.js'
import {HYOPS_BIN} from '../../helpers/paths.js'
import {rootForSim} from '../../helpers/runtime-root.js'
import {Terminal} from '../../helpers/terminal.js'

// `hyops init hetzner` at a real terminal (tmux): the hidden token prompt, the one retry after
// a refused token, and Ctrl-C. The plugin is linked into the built hyops as in the other tests.

const GOOD = randomBytes(32).toString('hex')
const BAD = randomBytes(32).toString('hex')

let sim: HcloudSim
let home: string
const terminals: Terminal[] = []

before(async () => {
  sim = await startHcloudSim([GOOD])
  home = await homeWithPluginLinked()
})

after(async () => {
  await Promise.all(terminals.map((terminal) => terminal.close()))
  await sim?.close()
  await cleanupTempDirs()
})

async function hetznerAt(args: string[], env: Record<string, string> = {}): Promise<Terminal> {
  const terminal = await Terminal.start([process.execPath, HYOPS_BIN, 'init', 'hetzner', ...args], {
    HOME: home,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    OCLIF_DISABLE_LINKED_ESM_WARNING: '1',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TERM: 'xterm-256color',
    ...env,
  })
  terminals.push(terminal)
  return terminal
}

describe('hyops init hetzner at a terminal', () => {
  it('asks for the token without echoing it, and saves it to the vault', async () => {
    const root = await rootForSim(sim.url)
    const passwordFile = join(root, 'vault-pass')
    await writeFile(passwordFile, 'pw\n', {mode: 0o600})
    const terminal = await hetznerAt(['--root', root, '--vault-password-file', passwordFile])
    await terminal.waitFor(/Hetzner Cloud API token/)
    await terminal.typeLine(GOOD)
    const {code, screen} = await terminal.exit()
    assert.equal(code, 0, screen)
    assert.ok(!screen.includes(GOOD), 'the token is not echoed')
    assert.match(screen, /hetzner: ready \(token from prompt/)
    assert.equal(
      await readFile(join(root, 'credentials', 'hetzner.credentials.tfvars'), 'utf8'),
      `hcloud_token = "${GOOD}"\n`,
    )
    const get = await runHyops(
      ['vault', 'get', 'HCLOUD_TOKEN', '--root', root, '--vault-password-file', passwordFile],
      {home},
    )
    assert.equal(get.stdout, GOOD, get.stderr)
  })

  it(
    'asks once for a replacement when the API rejects the token from the environment, then a ' + 'new vault password',
    async () => {
      const root = await rootForSim(sim.url)
      const terminal = await hetznerAt(['--root', root], {HCLOUD_TOKEN: BAD})
      const prompt = await terminal.waitFor(/previous one was refused/)
      assert.match(prompt, /rejected the token \(401/)
      await terminal.typeLine(GOOD)
      // A prompted token goes to the vault; at a terminal the vault's password may be asked too.
      await terminal.waitFor(/New vault password/)
      await terminal.typeLine('typed vault password')
      await terminal.waitFor(/Repeat it/)
      await terminal.typeLine('typed vault password')
      const {code, screen} = await terminal.exit()
      assert.equal(code, 0, screen)
      assert.ok(
        !screen.includes(GOOD) && !screen.includes(BAD) && !screen.includes('typed vault password'),
        'no secret on the screen',
      )
      assert.match(screen, /vault: HCLOUD_TOKEN saved/)
      assert.equal(
        await readFile(join(root, 'credentials', 'hetzner.credentials.tfvars'), 'utf8'),
        `hcloud_token = "${GOOD}"\n`,
      )
      assert.equal((await stat(join(root, 'credentials', 'hetzner.credentials.tfvars'))).mode & 0o777, 0o600)
      const passwordFile = join(root, 'typed-pass')
      await writeFile(passwordFile, 'typed vault password\n')
      const get = await runHyops(
        ['vault', 'get', 'HCLOUD_TOKEN', '--root', root, '--vault-password-file', passwordFile],
        {home},
      )
      assert.equal(get.stdout, GOOD, get.stderr)
    },
  )

  it('fails with exit 20 when the replacement is refused too (no second retry)', async () => {
    const root = await rootForSim(sim.url)
    const terminal = await hetznerAt(['--root', root], {HCLOUD_TOKEN: BAD})
    await terminal.waitFor(/previous one was refused/)
    await terminal.typeLine(BAD + 'x')
    const {code, screen} = await terminal.exit()
    assert.equal(code, 20, screen)
    assert.equal(screen.match(/Hetzner Cloud API token/g)?.length, 1, 'one prompt only')
    assert.deepEqual(await readdir(join(root, 'credentials')), [])
  })

  it('exits 130 on Ctrl-C at the prompt and writes nothing', async () => {
    const root = await rootForSim(sim.url)
    const terminal = await hetznerAt(['--root', root])
    await terminal.waitFor(/Hetzner Cloud API token/)
    await terminal.press('C-c')
    const {code, screen} = await terminal.exit()
    assert.equal(code, 130, screen)
    assert.deepEqual(await readdir(join(root, 'credentials')), [])
    assert.deepEqual(await readdir(join(root, 'meta')).catch(() => []), [])
  })
})
