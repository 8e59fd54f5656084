import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {access, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import ssh2, {type ParsedKey} from 'ssh2'

import {HyopsError} from '../../../src/lib/errors.js'
import {loadIdentity, openAgent, planAuth} from '../../../src/lib/ssh/agent-auth.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'
import {requireTool} from '../../helpers/tools.js'

const TARGET = 'root@127.0.0.1:22'

async function keyFile(dir: string, name: string, options: {passphrase?: string; mode?: number} = {}) {
  const pair = ssh2.utils.generateKeyPairSync(
    'ed25519',
    options.passphrase ? {cipher: 'aes256-ctr', passphrase: options.passphrase, rounds: 4} : {},
  )
  const path = join(dir, name)
  await writeFile(path, pair.private, {mode: options.mode ?? 0o600})
  await writeFile(`${path}.pub`, `${pair.public}\n`)
  return path
}

describe('agent-auth', () => {
  const agents: Array<{kill(): void}> = []
  after(async () => {
    for (const agent of agents) agent.kill()
    await cleanupTempDirs()
  })

  it('warns about a key readable by group or others, and reads the public key of an encrypted one', async () => {
    const dir = await tempDir()
    const open = await keyFile(dir, 'open', {mode: 0o644})
    const warnings: string[] = []
    const identity = await loadIdentity(open, TARGET, `PROXMOX_SSH_KEY=${open}`, (line) => warnings.push(line))
    assert.equal(identity.encrypted, false)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /readable by group or others \(mode 0644\).*chmod 600/)

    const locked = await keyFile(dir, 'locked', {passphrase: 'secret words'})
    const quiet: string[] = []
    const encrypted = await loadIdentity(locked, TARGET, `PROXMOX_SSH_KEY=${locked}`, (line) => quiet.push(line))
    assert.equal(encrypted.encrypted, true)
    assert.ok(encrypted.publicBlob && encrypted.publicBlob.length > 32)
    assert.deepEqual(quiet, [])
  })

  it('without a terminal or an agent, a passphrase key fails at once (no network) naming ssh-add', async () => {
    const dir = await tempDir()
    const locked = await keyFile(dir, 'locked', {passphrase: 'secret words'})
    const identity = await loadIdentity(locked, TARGET, `PROXMOX_SSH_KEY=${locked}`)
    assert.throws(
      () => planAuth({identities: [identity], target: TARGET, username: 'root'}),
      (error: HyopsError) => {
        assert.equal(error.exitCode, 20)
        assert.equal(error.reason, 'key-encrypted')
        assert.ok(error.hint?.includes(`ssh-add ${locked}`), error.hint)
        assert.ok(!error.message.includes('secret words'))
        return true
      },
    )
    // With a way to ask, the same key is planned (asked only when its turn comes).
    let asked = 0
    const plan = planAuth({
      askPassphrase: async () => {
        asked++
        return 'secret words'
      },
      identities: [identity],
      target: TARGET,
      username: 'root',
    })
    assert.equal(asked, 0)
    const first = await new Promise<unknown>((resolve) => plan.handler([], false, resolve))
    assert.equal(asked, 1)
    assert.equal((first as {type: string}).type, 'publickey')
    assert.equal(await new Promise<unknown>((resolve) => plan.handler([], false, resolve)), false)
  })

  it('lists a real ssh-agent; IdentitiesOnly offers only the agent keys of the key files, agent first', async () => {
    requireTool('ssh-agent', 'openssh-client')
    const dir = await tempDir()
    const socket = join(dir, 'agent.sock')
    assert.equal(await openAgent(socket, 500), undefined, 'no agent at that socket yet')
    const agent = spawn('ssh-agent', ['-D', '-a', socket], {stdio: 'ignore'})
    agents.push(agent)
    for (let i = 0; i < 100; i++) {
      if (
        await access(socket).then(
          () => true,
          () => false,
        )
      )
        break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }

    const mine = await keyFile(dir, 'mine')
    const other = await keyFile(dir, 'other')
    for (const key of [mine, other]) {
      const added = spawnSync('ssh-add', ['-q', key], {encoding: 'utf8', env: {...process.env, SSH_AUTH_SOCK: socket}})
      assert.equal(added.status, 0, added.stderr)
    }

    const found = await openAgent(socket)
    assert.equal(found?.keys.length, 2)
    const identity = await loadIdentity(mine, TARGET, `PROXMOX_SSH_KEY=${mine}`)
    const plan = planAuth({
      agent: found,
      identities: [identity],
      identitiesOnly: true,
      target: TARGET,
      username: 'root',
    })
    const offered = await new Promise<ParsedKey[]>((resolve) =>
      plan.agent!.getIdentities((_, keys) => resolve(keys as ParsedKey[])),
    )
    assert.equal(offered.length, 1)
    assert.ok(offered[0].getPublicSSH().equals(identity.publicBlob!))
    const first = await new Promise<unknown>((resolve) => plan.handler([], false, resolve))
    assert.equal((first as {type: string}).type, 'agent')
    // The key file is the agent's key: not offered a second time.
    assert.equal(await new Promise<unknown>((resolve) => plan.handler([], false, resolve)), false)
    assert.equal(plan.tried(), '1 agent key')
  })
})
