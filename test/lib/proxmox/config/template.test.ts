import assert from 'node:assert/strict'
import {mkdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {ExitCode, HyopsError} from '../../../../src/lib/errors.js'
import {readProxmoxConfig, resolveProxmoxInputs} from '../../../../src/lib/proxmox/config/resolve.js'
import {
  renderProxmoxConfigTemplate,
  templateRemediation,
  writeProxmoxConfigTemplate,
} from '../../../../src/lib/proxmox/config/template.js'
import {cleanupTempDirs, tempDir} from '../../../helpers/cli.js'

after(cleanupTempDirs)

describe('config template', () => {
  it('is written with mode 0600 and parses back into the keys with their defaults', async () => {
    const dir = await tempDir()
    const path = join(dir, 'config', 'proxmox.conf')
    assert.equal(await writeProxmoxConfigTemplate(path), 'written')
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    assert.equal((await stat(join(dir, 'config'))).mode & 0o777, 0o700)
    const read = await readProxmoxConfig(path)
    assert.deepEqual(read.unknown, [])
    assert.deepEqual(read.values, {
      FALLBACK_BRIDGE: 'vmbr0',
      FALLBACK_STORAGE_ISO: 'local',
      FALLBACK_STORAGE_VM: 'local-lvm',
      HTTP_PORT: '8802',
      PROXMOX_IP: '192.0.2.10',
      PROXMOX_SSH_KEY: '~/.ssh/id_ed25519',
      PROXMOX_SSH_USERNAME: 'root',
      TLS_SKIP: 'true',
      TOKEN_NAME: 'infra-token',
      USER_FQ: 'automation@pam',
    })
    const text = await readFile(path, 'utf8')
    assert.match(text, /^\[proxmox\]$/m)
    for (const key of [
      'HTTP_BIND_ADDRESS',
      'PROXMOX_API_PORT',
      'PROXMOX_SSH_PORT',
      'FALLBACK_STORAGE_SNIPPETS',
      'TLS_CA_FILE',
      'SSH_PUBLIC_KEY',
    ]) {
      assert.match(text, new RegExp(`^# ${key} = `, 'm'), `${key} documented, commented out`)
    }

    assert.match(text, /placeholder/)
    assert.doesNotMatch(text, /secret\s*=/i)
  })

  it('the placeholder host is refused until edited', async () => {
    const dir = await tempDir()
    const path = join(dir, 'proxmox.conf')
    await writeProxmoxConfigTemplate(path)
    const read = await readProxmoxConfig(path)
    assert.throws(
      () => resolveProxmoxInputs({config: read, configPath: path, environment: {}, flags: {}}),
      (error: unknown) =>
        error instanceof HyopsError &&
        error.exitCode === ExitCode.ConfigInvalid &&
        error.line.includes(`edit ${path}: set PROXMOX_IP`),
    )
    await writeFile(path, (await readFile(path, 'utf8')).replace('PROXMOX_IP = 192.0.2.10', 'PROXMOX_IP = 10.20.30.40'))
    const inputs = resolveProxmoxInputs({
      config: await readProxmoxConfig(path),
      configPath: path,
      environment: {},
      flags: {},
    })
    assert.equal(inputs.host, '10.20.30.40')
    assert.equal(inputs.tokenId, 'automation@pam!infra-token')
  })

  it('never overwrites an existing config without force', async () => {
    const dir = await tempDir()
    const path = join(dir, 'proxmox.conf')
    const mine = '[proxmox]\nPROXMOX_IP = 10.0.0.1\nUSER_FQ = me@pam\n'
    await writeFile(path, mine, {mode: 0o644})
    assert.equal(await writeProxmoxConfigTemplate(path), 'kept')
    assert.equal(await readFile(path, 'utf8'), mine)
    assert.equal((await stat(path)).mode & 0o777, 0o644)
    assert.equal(await writeProxmoxConfigTemplate(path, {force: false}), 'kept')
    assert.equal(await readFile(path, 'utf8'), mine)
    assert.equal(await writeProxmoxConfigTemplate(path, {force: true}), 'written')
    assert.equal(await readFile(path, 'utf8'), renderProxmoxConfigTemplate())
    assert.equal((await stat(path)).mode & 0o777, 0o600)
  })

  it('keeps anything in the way, even a directory', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'proxmox.conf'))
    assert.equal(await writeProxmoxConfigTemplate(join(dir, 'proxmox.conf')), 'kept')
    assert.ok((await stat(join(dir, 'proxmox.conf'))).isDirectory())
  })

  it('the remediation says which file to edit and what to re-run', () => {
    const text = templateRemediation('/r/config/proxmox.conf', 'hyops init proxmox --env lab')
    assert.match(text, /\/r\/config\/proxmox\.conf/)
    assert.match(text, /set PROXMOX_IP/)
    assert.match(text, /re-run: hyops init proxmox --env lab$/m)
    assert.match(text, /--bootstrap --proxmox-ip/)
  })
})
