import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {PROJECT_ROOT} from '../test/helpers/cli.js'
import {compare, report, runCommand, type BenchReport} from './measure.js'

/** What the simulated host's cli.ts prints on its first line. */
interface SimInfo {
  host: string
  sshPort: number
  apiPort: number
  clientKey: {privateKeyPath: string}
}

/**
 * The simulated host in its own process: the timed runs use spawnSync, which would block the
 * event loop of a sim hosted in this process.
 */
async function startSimProcess(dir: string): Promise<{info: SimInfo; child: ChildProcess}> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_ROOT, 'test', 'fixtures', 'pve-sim', 'cli.ts'), '--dir', dir],
    {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const info = await new Promise<SimInfo>((resolve, reject) => {
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const newline = out.indexOf('\n')
      if (newline >= 0) resolve(JSON.parse(out.slice(0, newline)) as SimInfo)
    })
    child.once('exit', (code) => reject(new Error(`pve-sim exited ${code} before it started`)))
  })
  return {child, info}
}

/**
 * The floor, as a separate node process like the CLI: one ssh2 connection with the same key,
 * the project's bootstrap script on stdin to the same `env ... bash -s` command (token
 * create), then `GET /version` and `GET .../storage/<snippets>/content` with the new token
 * over one kept-alive HTTPS connection. No CLI framework, vault, known_hosts, evidence,
 * lock or files. Argv: sim JSON, token name.
 */
export function floorScript(): string {
  const require = createRequire(join(PROJECT_ROOT, 'package.json'))
  const ssh2 = pathToFileURL(require.resolve('ssh2')).href
  const script = pathToFileURL(join(PROJECT_ROOT, 'dist', 'lib', 'proxmox', 'bootstrap', 'script.js')).href
  return (
    `
import {readFileSync} from 'node:fs'
import {Agent, request} from 'node:https'
import ssh2 from '${ssh2}'
import {BOOTSTRAP_SCRIPT, bootstrapCommand} from '${script}'
const sim = JSON.parse(process.argv[2])
const tokenName = process.argv[3]
const userFq = 'automation@pam'
const inputs = {userFq, tokenName, fallbackStorageVm: 'local-lvm', fallbackStorageIso: ` +
    `'local', fallbackStorageSnippets: 'local', fallbackBridge: 'vmbr0'}
const conn = new ssh2.Client()
const stdout = await new Promise((resolve, reject) => {
  conn.on('error', reject).on('ready', () => {
    conn.exec(bootstrapCommand({inputs, tokenMode: 'create', wantCa: false}), (error, stream) => {
      if (error) return reject(error)
      let out = ''
      stream.on('data', (d) => (out += d)).stderr.on('data', () => {})
      stream.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error('bootstrap exit ' + code))))
      stream.end(BOOTSTRAP_SCRIPT)
    })
  }).connect({host: sim.host, port: sim.sshPort, username: 'root', privateKey: ` +
    `readFileSync(sim.clientKey.privateKeyPath)})
})
conn.end()
const exports = Object.fromEntries(stdout.split('\\n').filter((l) => ` +
    `l.startsWith('EXPORT:')).map((l) => l.slice(7).split(/=(.*)/s).slice(0, 2)))
if (!exports.TOKEN_SECRET) throw new Error('no secret')
const agent = new Agent({keepAlive: true, maxSockets: 1})
const headers = {Authorization: 'PVEAPIToken=' + userFq + '!' + tokenName + '=' + exports.TOKEN_SECRET}
const get = (path) => new Promise((resolve, reject) => {
  request({agent, headers, host: sim.host, port: sim.apiPort, path, rejectUnauthorized: false}, (res) => {
    res.resume().on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(path + ' ' + res.statusCode))))
  }).on('error', reject).end()
})
await get('/api2/json/version')
await get('/api2/json/nodes/' + exports.NODE + '/storage/' + exports.STORAGE_SNIPPETS + '/content')
agent.destroy()
`
  )
}

/**
 * A full first run of `hyops init proxmox` (the built CLI in its own process, a fresh root and
 * token each time) against the simulated host, beside the floor of the same SSH connect +
 * bootstrap script + two HTTPS requests done by a minimal node script, interleaved in one
 * run. Target: within 1.5x of the floor. Needs `npm run build` first.
 */
export async function bench(): Promise<BenchReport[]> {
  const work = mkdtempSync(join(tmpdir(), 'hyops-bench-init-'))
  const {child, info} = await startSimProcess(join(work, 'sim'))
  try {
    const passwordFile = join(work, 'vault-pass')
    writeFileSync(passwordFile, 'bench vault password\n', {mode: 0o600})
    const env = {HOME: work, LANG: 'C.UTF-8', NO_COLOR: '1', PATH: process.env.PATH ?? '/usr/bin:/bin'}
    const cli = join(PROJECT_ROOT, 'bin', 'run.js')
    const floorFile = join(work, 'floor.mjs')
    writeFileSync(floorFile, floorScript())
    let n = 0
    const floor = () => runCommand([process.execPath, floorFile, JSON.stringify(info), `floor-${n++}`], {env})
    const subject = () => {
      const root = join(work, `root-${n}`)
      mkdirSync(join(root, 'config'), {recursive: true})
      const config = [
        '[proxmox]',
        `PROXMOX_IP = ${info.host}`,
        'USER_FQ = automation@pam',
        `TOKEN_NAME = init-${n++}`,
        `PROXMOX_SSH_PORT = ${info.sshPort}`,
        `PROXMOX_API_PORT = ${info.apiPort}`,
        `PROXMOX_SSH_KEY = ${info.clientKey.privateKeyPath}`,
        '',
      ]
      writeFileSync(join(root, 'config', 'proxmox.conf'), config.join('\n'))
      runCommand([process.execPath, cli, 'init', 'proxmox', '--root', root, '--vault-password-file', passwordFile], {
        env,
      })
    }

    const {baselineMs, subjectMs} = await compare(floor, subject)
    return [
      report(
        'init proxmox: full first run vs SSH + bootstrap + 2 HTTPS (floor)',
        {label: 'minimal node script: ssh2 connect, bootstrap script, 2 HTTPS GETs', ms: baselineMs},
        {label: 'hyops init proxmox (first run, CLI process)', ms: subjectMs},
        '<= 1.5x',
        (r) => r <= 1.5,
      ),
    ]
  } finally {
    const gone = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await gone
    rmSync(work, {force: true, recursive: true})
  }
}
