import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI = join(PROJECT_ROOT, 'bin', 'run.js')

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  /** Every argv the CLI process was started with, for secret scans. */
  argv: string[]
  /** The signal that ended the process, when one did. */
  signal?: NodeJS.Signals
}

export interface CliOptions {
  /** Added to a clean environment (HOME is a fresh temp dir unless given). */
  env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed. stdin is never a TTY here. */
  input?: string
  cwd?: string
  timeoutMs?: number
  /** Another build of the CLI to run (e.g. the previous release, for a benchmark); default bin/run.js. */
  cli?: string
  /** Gets the process once started (to send it a signal). */
  onSpawn?: (child: ChildProcess) => void
}

/**
 * Runs the built CLI (`bin/run.js`, from `dist/`) as a user would: a separate process, real
 * exit code, stdout and stderr captured. The environment is minimal and never holds
 * HYOPS_* or vault variables unless the test gives them.
 */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const env: Record<string, string> = {PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', NO_COLOR: '1'}
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value
  env.HOME ??= await tempDir('hyops-home-')
  const argv = [process.execPath, options.cli ?? CLI, ...args]
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd ?? PROJECT_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    options.onSpawn?.(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({argv, code, stderr, stdout, ...(signal ? {signal} : {})})
    })
    child.stdin.end(options.input ?? '')
  })
}

const made: string[] = []

/** A fresh temp directory, removed when the test process exits (see `cleanupTempDirs`). */
export async function tempDir(prefix = 'hyops-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Removes every directory `tempDir` made; call from an `after` hook. */
export async function cleanupTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, {force: true, recursive: true})))
}

/**
 * Output laid out for a width (80 columns when piped) read as running text: every line break
 * with the indentation after it becomes one space, so a phrase can be matched wherever it wrapped.
 */
export function unwrapped(text: string): string {
  return text.replaceAll(/\n+ +/g, ' ')
}
