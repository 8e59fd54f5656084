import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {createServer} from 'node:net'
import {join} from 'node:path'

import {PROJECT_ROOT} from '../test/helpers/cli.js'
import {compare, report, runCommand, type BenchReport} from './measure.js'

/**
 * Without a terminal, a passphrase-protected key and no agent is exit 20 at once (under a second on
 * an idle machine), before any network. Baseline: the same run with a plain key against a closed loopback
 * port (exit 20, connection refused), the fastest a run reaching the SSH step can fail.
 */
export async function bench(): Promise<BenchReport[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hyops-bench-ssh-'))
  const key = join(dir, 'id_ed25519')
  const plain = join(dir, 'id_plain')
  for (const [path, passphrase] of [
    [key, 'bench words'],
    [plain, ''],
  ]) {
    const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', path])
    if (keygen.status !== 0) throw new Error('ssh-passphrase bench: ssh-keygen (openssh-client) is needed')
  }

  const port = await closedPort()
  const root = join(dir, 'root')
  mkdirSync(join(root, 'config'), {recursive: true})
  writeFileSync(
    join(root, 'config', 'proxmox.conf'),
    `[proxmox]\nPROXMOX_IP = 127.0.0.1\nPROXMOX_SSH_PORT = ${port}\nUSER_FQ = automation@pam\n`,
  )
  writeFileSync(join(dir, 'vault-pass'), 'bench vault\n', {mode: 0o600})
  const cli = join(PROJECT_ROOT, 'bin', 'run.js')
  const args = [
    process.execPath,
    cli,
    'init',
    'proxmox',
    '--root',
    root,
    '--vault-password-file',
    join(dir, 'vault-pass'),
  ]
  const env = {HOME: dir, LANG: 'C.UTF-8', PATH: process.env.PATH ?? '/usr/bin:/bin'}
  const result = await compare(
    () => runCommand([...args, '--force', '--ssh-key', plain], {env, expectCode: 20}),
    () => runCommand([...args, '--force', '--ssh-key', key], {env, expectCode: 20}),
  )
  return [
    report(
      'ssh: passphrase key without a terminal or agent (exit 20)',
      {label: 'plain key, closed port (refused)', ms: result.baselineMs},
      {label: 'passphrase key, no terminal, no agent', ms: result.subjectMs},
      '<= 1.2x',
      (ratio) => ratio <= 1.2,
    ),
  ]
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}
