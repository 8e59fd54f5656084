import {spawn} from 'node:child_process'
import {mkdir, readdir} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {PROJECT_ROOT, tempDir} from './cli.js'

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * A user's machine in temporary directories: HOME, the XDG data, config and cache dirs (where
 * hyops keeps installed plugins and the completion cache) and an npm global prefix. Only npm's
 * download cache is the developer's own, so packages already fetched once are not fetched again.
 */
export interface Machine {
  home: string
  prefix: string
  dataDir: string
  /** `<prefix>/bin/hyops` once the packed CLI is installed. */
  hyops: string
  env: Record<string, string>
}

export async function freshMachine(): Promise<Machine> {
  const home = await tempDir('hyops-user-')
  const prefix = join(home, 'npm-global')
  const xdg = {
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
  }
  await Promise.all([prefix, ...Object.values(xdg)].map((dir) => mkdir(dir, {recursive: true})))
  // This machine's trust and proxy settings, as a user's shell has them: npm reaches its registry through them.
  // The registry and the APIs the tests start are on loopback, which no proxy can reach.
  const network = Object.fromEntries(
    ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']
      .filter((name) => process.env[name])
      .map((name) => [name, process.env[name] as string]),
  )
  const noProxy = [process.env.NO_PROXY ?? process.env.no_proxy, '127.0.0.1', 'localhost', '::1'].filter(Boolean)
  network.NO_PROXY = network.no_proxy = noProxy.join(',')
  const env = {
    ...xdg,
    ...network,
    HOME: home,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    npm_config_audit: 'false',
    npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'),
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  }
  return {dataDir: join(xdg.XDG_DATA_HOME, 'hyops'), env, home, hyops: join(prefix, 'bin', 'hyops'), prefix}
}

/** Runs `command` in its own process; stdin is closed at once (never a TTY). */
export async function run(
  command: string,
  args: string[],
  options: {cwd?: string; env: Record<string, string>; timeoutMs?: number},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: options.cwd ?? PROJECT_ROOT, env: options.env, stdio: 'pipe'})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stderr, stdout})
    })
    child.stdin.end()
  })
}

/** Runs and fails the test with the output unless the exit code is 0. */
export async function runOk(...call: Parameters<typeof run>): Promise<Run> {
  const result = await run(...call)
  if (result.code !== 0) {
    throw new Error(`${call[0]} ${call[1].join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`)
  }

  return result
}

/**
 * `npm pack` of the package in `dir` into a fresh directory; returns the tarball's path.
 * `ignoreScripts` packs the core as built (its prepack would rebuild dist/ under the other tests).
 */
export async function pack(dir: string, env: Record<string, string>, ignoreScripts = false): Promise<string> {
  const destination = await tempDir('hyops-pack-')
  const args = ['pack', '--pack-destination', destination, ...(ignoreScripts ? ['--ignore-scripts'] : [])]
  await runOk('npm', args, {cwd: dir, env})
  const [tarball] = (await readdir(destination)).filter((name) => name.endsWith('.tgz'))
  if (!tarball) throw new Error(`npm pack in ${dir} wrote no tarball`)
  return join(destination, tarball)
}
