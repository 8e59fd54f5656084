import {spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {HYOPS_BIN, PLUGIN_ROOT} from './paths.js'

export interface HyopsRun {
  code: number | null
  stdout: string
  stderr: string
}

export interface HyopsRunOptions {
  /** The user's home: where `plugins link` records the plugin (~/.local/share/hyops). */
  home: string
  /** Added to a minimal environment (PATH, LANG, NO_COLOR, HOME). */
  env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed (stdin is never a TTY here). */
  input?: string
}

/** Runs the built `hyops` CLI in its own process, as a user would. */
export async function runHyops(args: string[], options: HyopsRunOptions): Promise<HyopsRun> {
  const env: Record<string, string> = {
    HOME: options.home,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  }
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HYOPS_BIN, ...args], {
      cwd: options.home,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stderr, stdout})
    })
    child.stdin.end(options.input ?? '')
  })
}

/** `hyops plugins link plugins/hetzner --no-install` into a fresh home; returns that home. */
export async function homeWithPluginLinked(): Promise<string> {
  const home = await tempDir('hyops-home-')
  const run = await runHyops(['plugins', 'link', PLUGIN_ROOT, '--no-install'], {home})
  if (run.code !== 0) throw new Error(`hyops plugins link failed (${run.code}): ${run.stderr}`)
  return home
}

const made: string[] = []

/** A fresh temp directory, removed by `cleanupTempDirs`. */
export async function tempDir(prefix = 'hyops-hetzner-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Removes every directory `tempDir` made; call from an `after` hook. */
export async function cleanupTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, {force: true, recursive: true})))
}
