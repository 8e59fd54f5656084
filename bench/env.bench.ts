import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {renderProxmoxTfvars} from '../src/lib/proxmox/outputs/tfvars.js'
import {openVault} from '../src/lib/vault/open-vault.js'
import {PROJECT_ROOT} from '../test/helpers/cli.js'
import {compare, report, runCommand, type BenchReport} from './measure.js'

/**
 * `hyops env proxmox --format bpg` (hook lookup, marker, credentials file, vault, rendering)
 * and `hyops exec proxmox -- true` against `hyops vault get PROXMOX_TOKEN_SECRET` on the same
 * root: the same CLI start and vault decryption. Target: at most 1.5x.
 */
export async function bench(): Promise<BenchReport[]> {
  const root = mkdtempSync(join(tmpdir(), 'hyops-bench-env-'))
  for (const dir of ['meta', 'credentials', 'vault', 'state']) mkdirSync(join(root, dir), {mode: 0o700})
  const passwordFile = join(root, 'vault-pass')
  writeFileSync(passwordFile, 'bench vault password\n', {mode: 0o600})
  const secret = '0d1f5c2e-3a4b-4c5d-8e9f-a0b1c2d3e4f5'
  const vault = await openVault({
    environment: {},
    interactive: false,
    passwordFile,
    vaultFile: join(root, 'vault', 'bootstrap.vault.env'),
  })
  await vault.update({PROXMOX_TOKEN_SECRET: secret})
  writeFileSync(
    join(root, 'credentials', 'proxmox.credentials.tfvars'),
    renderProxmoxTfvars({
      http_bind_address: '192.0.2.1',
      http_port: 8802,
      network_bridge: 'vmbr0',
      proxmox_node: 'pve1',
      proxmox_skip_tls: true,
      proxmox_ssh_key: join(root, 'no-key'),
      proxmox_ssh_username: 'root',
      proxmox_token_id: 'automation@pam!infra-token',
      proxmox_token_secret: secret,
      proxmox_url: 'https://192.0.2.10:8006/api2/json',
      storage_iso: 'local',
      storage_pool: 'local-lvm',
      storage_snippets: 'local',
    }),
    {mode: 0o600},
  )
  writeFileSync(
    join(root, 'meta', 'proxmox.ready.json'),
    JSON.stringify({generated_at: 'now', paths: {}, run_id: 'init-proxmox-x', status: 'ready', target: 'proxmox'}),
  )
  const cli = join(PROJECT_ROOT, 'bin', 'run.js')
  const env = {HOME: root, LANG: 'C.UTF-8', PATH: process.env.PATH ?? '/usr/bin:/bin'}
  const common = ['--root', root, '--vault-password-file', passwordFile]
  const get = () => runCommand([process.execPath, cli, 'vault', 'get', 'PROXMOX_TOKEN_SECRET', ...common], {env})
  const envRun = () => runCommand([process.execPath, cli, 'env', 'proxmox', '--format', 'bpg', ...common], {env})
  const execRun = () => runCommand([process.execPath, cli, 'exec', 'proxmox', ...common, '--', 'true'], {env})
  const printed = await compare(get, envRun)
  const executed = await compare(get, execRun)
  return [
    report(
      'env: hyops env proxmox --format bpg',
      {label: 'hyops vault get', ms: printed.baselineMs},
      {label: 'hyops env proxmox', ms: printed.subjectMs},
      '<= 1.5x',
      (r) => r <= 1.5,
    ),
    report(
      'env: hyops exec proxmox -- true',
      {label: 'hyops vault get', ms: executed.baselineMs},
      {label: 'hyops exec proxmox', ms: executed.subjectMs},
      '<= 1.5x',
      (r) => r <= 1.5,
    ),
  ]
}
