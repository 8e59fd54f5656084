// npm run demo: hyops init proxmox, end to end, against the project's simulated Proxmox host.
// Everything lives in a fresh temp directory (runtime root, HOME, vault password file) and is
// removed at the end; the simulated host is stopped.
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {startPveSim} from '../test/fixtures/pve-sim/index.js'
import {CLI} from '../test/helpers/cli.js'

const work = await mkdtemp(join(tmpdir(), 'hyops-demo-'))
const root = join(work, 'runtime')
const sim = await startPveSim({dir: join(work, 'pve-sim')})
const env = {...process.env, HOME: work}
const bold = (text: string) =>
  process.stdout.isTTY && !('NO_COLOR' in process.env) ? `\u001B[1m${text}\u001B[22m` : text

// The simulated host runs in this process, so the CLI must run asynchronously beside it.
async function hyops(args: string[]): Promise<number> {
  console.log(bold(`\n$ hyops ${args.join(' ')}`))
  const child = spawn(process.execPath, [CLI, ...args], {env, stdio: ['ignore', 'inherit', 'inherit']})
  const code = await new Promise<number>((resolve) => child.on('close', (status) => resolve(status ?? 1)))
  console.log(bold(`(exit ${code})`))
  return code
}

function show(title: string, text: string): void {
  console.log(bold(`\n--- ${title}`))
  console.log(text.trimEnd())
}

try {
  console.log(
    `Simulated Proxmox host: SSH on ${sim.host}:${sim.sshPort}, API on ` +
      `https://${sim.host}:${sim.apiPort}/api2/json (node "pve1")`,
  )
  console.log(`Runtime root: ${root}`)

  await hyops(['init', 'proxmox', '--root', root])

  const configFile = join(root, 'config', 'proxmox.conf')
  const template = await readFile(configFile, 'utf8')
  const edited = template
    .replace(/^PROXMOX_IP\s*=.*$/m, `PROXMOX_IP = ${sim.host}`)
    .replace(/^PROXMOX_SSH_KEY\s*=.*$/m, `PROXMOX_SSH_KEY = ${sim.clientKey.privateKeyPath}`)
    .concat(
      `\n# The simulated host listens on free ports.\nPROXMOX_SSH_PORT = ${sim.sshPort}\n` +
        `PROXMOX_API_PORT = ${sim.apiPort}\n`,
    )
  await writeFile(configFile, edited)
  show(
    `edited ${configFile}`,
    edited
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .join('\n'),
  )

  const passwordFile = join(work, 'vault-password')
  await writeFile(passwordFile, 'demo-vault-password\n', {mode: 0o600})
  const code = await hyops(['init', 'proxmox', '--root', root, '--vault-password-file', passwordFile])
  if (code !== 0) throw new Error(`hyops init proxmox exited ${code}; see the error above`)

  const credentials = join(root, 'credentials', 'proxmox.credentials.tfvars')
  const mode = ((await stat(credentials)).mode & 0o777).toString(8)
  const tfvars = (await readFile(credentials, 'utf8')).replace(
    /^(proxmox_token_secret\s*=\s*)".*"$/m,
    '$1"<secret, hidden in this demo>"',
  )
  show(`${credentials} (mode ${mode})`, tfvars)
  show(join(root, 'meta', 'proxmox.ready.json'), await readFile(join(root, 'meta', 'proxmox.ready.json'), 'utf8'))
  await hyops(['init', 'status', '--root', root])
  await hyops(['vault', 'keys', '--root', root, '--vault-password-file', passwordFile])
  console.log(bold('\nA second run keeps the token (no rotation):'))
  await hyops(['init', 'proxmox', '--root', root, '--vault-password-file', passwordFile])
  process.exitCode = code
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`)
  process.exitCode = 1
} finally {
  await sim.stop()
  await rm(work, {force: true, recursive: true})
}
