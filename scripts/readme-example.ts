// Keeps the README's example run true: what `hyops init proxmox` and `hyops init status` print at
// an 80-column terminal, captured from a real tmux pane against the simulated Proxmox host.
//   npm run readme:example                                   rewrites the section
//   node --import tsx scripts/readme-example.ts --check      exits 1 when it is stale
// The section sits between <!-- example-run --> and <!-- example-runstop --> in README.md. What
// changes from run to run is masked with text of the same length, so the layout is the real one:
// the temp directory (XXXXXX), the simulated host's free ports (NNNNN), its host key's
// fingerprint, run ids and durations.
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {startPveSim} from '../test/fixtures/pve-sim/index.js'
import {CLI, PROJECT_ROOT} from '../test/helpers/cli.js'
import {TerminalSession} from '../test/helpers/terminal.js'

export const EXAMPLE_COLUMNS = 80
const START = '<!-- example-run -->'
const STOP = '<!-- example-runstop -->'

/** Run-dependent parts of a capture replaced by text of the same length. */
export function maskRun(text: string, home: string): string {
  const same = (length: number, char: string) => char.repeat(length)
  return text
    .replaceAll(home, home.replace(/[^-/]{6}$/, 'XXXXXX'))
    .replaceAll(/127\.0\.0\.1:(\d+)/g, (_, port: string) => `127.0.0.1:${same(port.length, 'N')}`)
    .replaceAll(/SHA256:[A-Za-z0-9+/]+/g, (hash: string) => `SHA256:${same(hash.length - 7, 'x')}`)
    .replaceAll(/(init-proxmox-)\d{8}T\d{6}Z-[0-9a-f]{8}/g, '$1YYYYMMDDTHHMMSSZ-xxxxxxxx')
    .replaceAll(/generated_at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'generated_at=YYYY-MM-DDTHH:MM:SS.mmmZ')
    .replaceAll(/\((\d+\.\d|\d+|\d+m\d\d)s\)/g, (duration: string) => `(${'0.0'.padStart(duration.length - 3, ' ')}s)`)
}

/** Runs one command in an 80-column pane, answering its questions; returns what it printed. */
async function capture(
  argv: string[],
  env: Record<string, string>,
  dir: string,
  answers: Array<{when: RegExp; keys: string[]}> = [],
): Promise<string> {
  const session = await TerminalSession.start([process.execPath, CLI, ...argv], env, dir, {
    columns: EXAMPLE_COLUMNS,
    rows: 60,
  })
  try {
    const run = await session.answerUntilExit(answers, 60_000)
    if (run.code !== 0) throw new Error(`hyops ${argv.join(' ')} exited ${run.code}:\n${run.screen}`)
    return run.screen
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .trimEnd()
  } finally {
    await session.kill()
  }
}

/**
 * A first `hyops init proxmox` and `hyops init status` at an 80-column terminal against a fresh
 * simulated host, as the operator sees them (the host key question answered), masked.
 */
export async function exampleRun(): Promise<string> {
  const home = await mkdtemp('/tmp/hyops-example-')
  const sim = await startPveSim({dir: join(home, 'pve-sim')})
  try {
    const root = join(home, '.hybridops')
    await mkdir(join(root, 'config'), {mode: 0o700, recursive: true})
    const config = [
      '[proxmox]',
      `PROXMOX_IP = ${sim.host}`,
      'USER_FQ = automation@pam',
      'TOKEN_NAME = infra-token',
      `PROXMOX_SSH_PORT = ${sim.sshPort}`,
      `PROXMOX_API_PORT = ${sim.apiPort}`,
      `PROXMOX_SSH_KEY = ${sim.clientKey.privateKeyPath}`,
      '',
    ]
    await writeFile(join(root, 'config', 'proxmox.conf'), config.join('\n'), {mode: 0o600})
    const passwordFile = join(home, 'vault-password')
    await writeFile(passwordFile, 'example-vault-password\n', {mode: 0o600})
    const env = {
      HOME: home,
      HYOPS_VAULT_PASSWORD_FILE: passwordFile,
      LANG: 'C.UTF-8',
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TERM: 'screen',
    }
    const init = await capture(['init', 'proxmox'], env, home, [
      {keys: ['y', 'Enter'], when: /Trust it and continue\?/},
    ])
    const status = await capture(['init', 'status'], env, home)
    return maskRun(`$ hyops init proxmox\n${init}\n\n$ hyops init status\n${status}`, home)
  } finally {
    await sim.stop()
    await rm(home, {force: true, recursive: true})
  }
}

/** The example run as it stands in `readme`, without the fence. */
export function readmeExample(readme: string): string {
  const start = readme.indexOf(START)
  const stop = readme.indexOf(STOP)
  if (start < 0 || stop < start) throw new Error(`README.md has no ${START} ... ${STOP} section`)
  return readme
    .slice(start + START.length, stop)
    .replace(/^\s*```text\n/, '')
    .replace(/\n```\s*$/, '')
}

/** README.md with its example run replaced. */
export function readmeWithExample(readme: string, example: string): string {
  const start = readme.indexOf(START)
  const stop = readme.indexOf(STOP)
  if (start < 0 || stop < start) throw new Error(`README.md has no ${START} ... ${STOP} section`)
  return `${readme.slice(0, start)}${START}\n\`\`\`text\n${example}\n\`\`\`\n${readme.slice(stop)}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = join(PROJECT_ROOT, 'README.md')
  const readme = await readFile(path, 'utf8')
  const example = await exampleRun()
  if (process.argv.includes('--check')) {
    if (readmeExample(readme) !== example) {
      console.error('README.md example run is stale: run npm run readme:example')
      process.exit(1)
    }
  } else await writeFile(path, readmeWithExample(readme, example))
}
