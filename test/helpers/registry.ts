import {spawn, type ChildProcess} from 'node:child_process'
import {join} from 'node:path'

import {PROJECT_ROOT} from './cli.js'

/** A local npm registry (verdaccio) on 127.0.0.1, storing in a temporary directory. */
export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/`, for `npm_config_registry`. */
  url: string
  /** An npm auth token of a user created on it (publishing needs one). */
  token: string
  close(): Promise<void>
}

/** Starts verdaccio in its own process with storage in `dir` and creates a publishing user. */
export async function startRegistry(dir: string): Promise<LocalRegistry> {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'test', 'helpers', 'registry-server.mjs'), dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`verdaccio did not start in 60 s: ${stderr}`)), 60_000)
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      const line = /^(\{.*\})$/m.exec(stdout)?.[1]
      if (line) {
        clearTimeout(timer)
        resolve((JSON.parse(line) as {port: number}).port)
      }
    })
    child.on('exit', (code) => reject(new Error(`verdaccio exited (${code}): ${stderr}`)))
  })
  const url = `http://127.0.0.1:${port}/`
  try {
    const user = await fetch(`${url}-/user/org.couchdb.user:tester`, {
      body: JSON.stringify({name: 'tester', password: 'tester-password-1'}),
      headers: {'content-type': 'application/json'},
      method: 'PUT',
    })
    const {token} = (await user.json()) as {token?: string}
    if (!user.ok || !token) throw new Error(`verdaccio refused to create a user (${user.status})`)
    return {close: () => stop(child), token, url}
  } catch (error) {
    await stop(child)
    throw error
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/** The npm config that lets `npm publish` reach `registry` as its user (as command-line options). */
export function publishOptions(registry: LocalRegistry): string[] {
  const host = registry.url.replace(/^http:/, '')
  return [`--registry=${registry.url}`, `--${host}:_authToken=${registry.token}`]
}
