import {readFileSync} from 'node:fs'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {createServer, type Server} from 'node:https'
import {createServer as createNetServer} from 'node:net'
import {join} from 'node:path'

import {PROJECT_ROOT} from '../../helpers/cli.js'

const TLS_DIR = join(PROJECT_ROOT, 'test', 'fixtures', 'tls')
/** The CA that signs the test server's certificate. */
export const CA_PEM = readFileSync(join(TLS_DIR, 'ca.pem'), 'utf8')
/** A CA that signs nothing the server shows. */
export const OTHER_CA_PEM = readFileSync(join(TLS_DIR, 'other-ca.pem'), 'utf8')

/** One request as the server saw it. */
export interface SeenRequest {
  method: string
  url: string
  authorization?: string
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

export interface TestHttpsServer {
  port: number
  url: string
  seen: SeenRequest[]
  /** Connections opened (keep-alive reuse keeps this low). */
  connections: number
  close(): Promise<void>
}

/** A real HTTPS server on 127.0.0.1 and a free port, with the fixture certificate (signed by ca.pem). */
export async function startHttpsServer(handler: Handler): Promise<TestHttpsServer> {
  const seen: SeenRequest[] = []
  const server: Server = createServer(
    {cert: readFileSync(join(TLS_DIR, 'server.pem')), key: readFileSync(join(TLS_DIR, 'server-key.pem'))},
    (req, res) => {
      seen.push({authorization: req.headers.authorization, method: req.method ?? '', url: req.url ?? ''})
      handler(req, res)
    },
  )
  const state = {connections: 0}
  server.on('secureConnection', () => state.connections++)
  // A TLS failure on the client side is expected in some tests.
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    get connections() {
      return state.connections
    },
    port,
    seen,
    url: `https://127.0.0.1:${port}`,
  }
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Answers JSON with a status (and an optional reason phrase, as Proxmox puts messages there). */
export function json(res: ServerResponse, status: number, body: unknown, reason?: string): void {
  const text = JSON.stringify(body)
  res.writeHead(status, reason ?? '', {'Content-Length': Buffer.byteLength(text), 'Content-Type': 'application/json'})
  res.end(text)
}
