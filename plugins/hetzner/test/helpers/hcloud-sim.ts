import {readFileSync} from 'node:fs'
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import {CORE_ROOT} from './paths.js'

/** The core's test TLS material: a CA and a certificate for 127.0.0.1 signed by it. */
export const TLS_DIR = join(CORE_ROOT, 'test', 'fixtures', 'tls')
export const SIM_CA_FILE = join(TLS_DIR, 'ca.pem')
export const OTHER_CA_FILE = join(TLS_DIR, 'other-ca.pem')

/** One request the simulation received. */
export interface SimRequest {
  method: string
  path: string
  authorization?: string
}

/** How the simulated API answers `GET /v1/servers`. */
export type SimMode = 'api' | 'maintenance' | 'not-api'

/** A local HTTPS stand-in for the Hetzner Cloud API, on 127.0.0.1 and a free port. */
export interface HcloudSim {
  /** The value for `HCLOUD_API`. */
  url: string
  /** Tokens the API accepts; change it between runs. */
  tokens: Set<string>
  mode: SimMode
  requests: SimRequest[]
  close(): Promise<void>
}

/**
 * Starts the simulation: `GET /v1/servers` with `Authorization: Bearer <known token>` answers
 * 200 and a servers page shaped like Hetzner's; an unknown or missing token answers 401 with
 * Hetzner's `unauthorized` error body. `mode` switches to a 503 or to an HTML page.
 */
export async function startHcloudSim(tokens: string[] = []): Promise<HcloudSim> {
  const sim = {mode: 'api' as SimMode, requests: [] as SimRequest[], tokens: new Set(tokens)}
  const server: Server = createServer(
    {cert: readFileSync(join(TLS_DIR, 'server.pem')), key: readFileSync(join(TLS_DIR, 'server-key.pem'))},
    (req, res) => {
      const authorization = req.headers.authorization
      sim.requests.push({authorization, method: req.method ?? '', path: req.url ?? ''})
      const send = (status: number, body: unknown, type = 'application/json') => {
        res.writeHead(status, {'content-type': type})
        res.end(typeof body === 'string' ? body : JSON.stringify(body))
      }

      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/v1/servers')
        return send(404, {error: {code: 'not_found', message: 'not found'}})
      if (sim.mode === 'maintenance')
        return send(503, {error: {code: 'maintenance', message: 'maintenance in progress'}})
      if (sim.mode === 'not-api') return send(200, '<html><body>captive portal</body></html>', 'text/html')
      const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1]
      if (!token || !sim.tokens.has(token))
        return send(401, {error: {code: 'unauthorized', message: 'unable to authenticate'}})
      send(200, {
        meta: {
          pagination: {last_page: 1, next_page: null, page: 1, per_page: 25, previous_page: null, total_entries: 1},
        },
        servers: [{id: 42, name: 'sim-server-1', status: 'running'}],
      })
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return Object.assign(sim, {
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    url: `https://127.0.0.1:${port}`,
  })
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const {createServer: createTcp} = await import('node:net')
  const server = createTcp()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
