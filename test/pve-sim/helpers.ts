import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {request} from 'node:https'
import {NodeSSH, type Config} from 'node-ssh'
import type {PveSim} from '../fixtures/pve-sim/index.js'

/** Connects as root with the sim's client key (or the given config), recording the host key fingerprint seen. */
export async function connectSsh(
  port: number,
  config: Partial<Config> & {privateKeyPath?: string} = {},
): Promise<{ssh: NodeSSH; fingerprint: () => string}> {
  let seen = ''
  const ssh = new NodeSSH()
  await ssh.connect({
    host: '127.0.0.1',
    port,
    readyTimeout: 5000,
    username: 'root',
    hostVerifier: (key: Buffer) => {
      seen = 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '')
      return true
    },
    ...config,
  } as Config)
  return {fingerprint: () => seen, ssh}
}

export interface ApiAnswer {
  status: number
  body: {data: unknown; message?: string}
}

/** GET on the sim's API with real TLS verified against `ca` (the sim's CA by default). */
export function apiGet(sim: PveSim, path: string, authorization?: string, ca = sim.caFile): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const headers = authorization === undefined ? {} : {Authorization: authorization}
    const req = request(
      {
        ca: readFileSync(ca),
        headers,
        host: '127.0.0.1',
        method: 'GET',
        path,
        port: sim.apiPort,
        servername: 'localhost',
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (d: string) => (text += d))
        res.on('end', () =>
          resolve({
            body: (text === '' ? null : JSON.parse(text)) as ApiAnswer['body'],
            status: res.statusCode ?? 0,
          }),
        )
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** `PVEAPIToken=<id>=<secret>` */
export function tokenHeader(tokenId: string, secret: string): string {
  return `PVEAPIToken=${tokenId}=${secret}`
}

/** Runs a fake host command as the sim's SSH sandbox would (PATH, state, /etc/pve); never rejects. */
export async function simCommand(
  sim: PveSim,
  ...argv: string[]
): Promise<{code: number; stdout: string; stderr: string}> {
  const env = {
    HOME: sim.homeDir,
    HYOPS_PVE_ETC: sim.pveEtcDir,
    HYOPS_SIM_STATE: sim.statePath,
    PATH: `${sim.binDir}:/usr/bin:/bin`,
  }
  return new Promise((resolve) => {
    execFile('/bin/bash', ['-c', '"$@"', 'sim', ...argv], {env}, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({code, stderr, stdout})
    })
  })
}
