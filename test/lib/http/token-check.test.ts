import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {inspect} from 'node:util'

import {createHttpClient} from '../../../src/lib/http/client.js'
import {HttpFailure} from '../../../src/lib/http/errors.js'
import {validateToken} from '../../../src/lib/http/token-check.js'
import {CA_PEM, closedPort, json, OTHER_CA_PEM, startHttpsServer, type TestHttpsServer} from './tls-server.js'

const SECRET = 'Bearer-s3cr3t-5e1f0c2a'
const HEADERS = {Authorization: `Bearer ${SECRET}`}

let server: TestHttpsServer

before(async () => {
  server = await startHttpsServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path === '/slow') return // never answers
    if (path === '/redirect') {
      res.writeHead(302, {Location: 'https://127.0.0.1:1/elsewhere'})
      res.end()
      return
    }

    if (req.headers.authorization !== `Bearer ${SECRET}`) return json(res, 401, {error: 'unauthorized'})
    if (path === '/ok') return json(res, 200, {data: {ok: true}})
    if (path === '/forbidden') return json(res, 403, {error: 'forbidden'})
    if (path === '/boom') return json(res, 500, {}, "storage 'x' does not exist")
    json(res, 404, {})
  })
})

after(() => server.close())

async function failure(promise: Promise<unknown>): Promise<HttpFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  assert.ok(error instanceof HttpFailure, `expected an HttpFailure, got ${inspect(error)}`)
  for (const text of [error.message, inspect(error), JSON.stringify(error)])
    assert.ok(!text.includes(SECRET), `no secret in ${text}`)
  return error
}

describe('validateToken', () => {
  it('answers a 2xx with the body, sending the headers, verified against the CA', async () => {
    const answer = await validateToken({headers: HEADERS, tls: {caPem: CA_PEM}, url: `${server.url}/ok`})
    assert.equal(answer.status, 200)
    assert.deepEqual(answer.data, {data: {ok: true}})
    assert.equal(server.seen.at(-1)?.authorization, `Bearer ${SECRET}`)
  })

  it('with skipVerify, any certificate is accepted', async () => {
    assert.equal(
      (await validateToken({headers: HEADERS, tls: {skipVerify: true}, url: `${server.url}/ok`})).status,
      200,
    )
  })

  it('401, 403 and other statuses are typed failures with the status', async () => {
    const unauthorized = await failure(
      validateToken({headers: {Authorization: 'Bearer wrong'}, tls: {caPem: CA_PEM}, url: `${server.url}/ok`}),
    )
    assert.equal(unauthorized.kind, 'unauthorized')
    assert.equal(unauthorized.status, 401)
    const forbidden = await failure(
      validateToken({headers: HEADERS, tls: {caPem: CA_PEM}, url: `${server.url}/forbidden?token=${SECRET}`}),
    )
    assert.equal(forbidden.kind, 'forbidden')
    assert.equal(forbidden.status, 403)
    assert.equal(forbidden.url, `${server.url}/forbidden`, 'no query string in the URL')
    const boom = await failure(validateToken({headers: HEADERS, tls: {caPem: CA_PEM}, url: `${server.url}/boom`}))
    assert.equal(boom.kind, 'status')
    assert.equal(boom.status, 500)
    assert.match(boom.message, /500 storage 'x' does not exist/)
  })

  it('does not follow redirects (the Authorization header stays home)', async () => {
    const redirect = await failure(
      validateToken({headers: HEADERS, tls: {caPem: CA_PEM}, url: `${server.url}/redirect`}),
    )
    assert.equal(redirect.kind, 'status')
    assert.equal(redirect.status, 302)
  })

  it('a certificate the client cannot verify is a TLS failure', async () => {
    for (const tls of [{}, {caPem: OTHER_CA_PEM}, {caPem: OTHER_CA_PEM, skipVerify: false}]) {
      const tlsFailure = await failure(validateToken({headers: HEADERS, tls, url: `${server.url}/ok`}))
      assert.equal(tlsFailure.kind, 'tls')
      assert.equal(tlsFailure.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')
      assert.match(tlsFailure.message, /TLS verification of https:\/\/127\.0\.0\.1:\d+\/ok failed/)
    }
  })

  it('a closed port is unreachable, naming the URL', async () => {
    const port = await closedPort()
    const unreachable = await failure(
      validateToken({headers: HEADERS, tls: {caPem: CA_PEM}, url: `https://127.0.0.1:${port}/ok`}),
    )
    assert.equal(unreachable.kind, 'unreachable')
    assert.equal(unreachable.code, 'ECONNREFUSED')
    assert.match(
      unreachable.message,
      new RegExp(`cannot reach https://127\\.0\\.0\\.1:${port}/ok \\(connection refused, ECONNREFUSED\\)`),
    )
  })

  it('no answer in time is a timeout', async () => {
    const started = Date.now()
    const timeout = await failure(
      validateToken({headers: HEADERS, timeoutMs: 200, tls: {caPem: CA_PEM}, url: `${server.url}/slow`}),
    )
    assert.equal(timeout.kind, 'timeout')
    assert.ok(Date.now() - started < 5000)
  })

  it('an abort cancels the request at once; an aborted signal never sends it', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const pending = validateToken({
      headers: HEADERS,
      signal: controller.signal,
      tls: {caPem: CA_PEM},
      url: `${server.url}/slow`,
    })
    setTimeout(() => controller.abort(), 50)
    const cancelled = await failure(pending)
    assert.equal(cancelled.kind, 'cancelled')
    assert.ok(Date.now() - started < 5000)
    const before = server.seen.length
    const early = await failure(
      validateToken({headers: HEADERS, signal: AbortSignal.abort(), tls: {caPem: CA_PEM}, url: `${server.url}/ok`}),
    )
    assert.equal(early.kind, 'cancelled')
    assert.equal(server.seen.length, before)
  })

  it('a shared client keeps one connection for consecutive requests', async () => {
    const client = createHttpClient({tls: {caPem: CA_PEM}})
    const opened = server.connections
    try {
      await validateToken({client, headers: HEADERS, url: `${server.url}/ok`})
      await validateToken({client, headers: HEADERS, url: `${server.url}/ok`})
    } finally {
      client.close()
    }

    assert.equal(server.connections - opened, 1)
  })

  it('ignores HTTPS_PROXY from the environment', async () => {
    const saved = process.env.HTTPS_PROXY
    process.env.HTTPS_PROXY = `http://127.0.0.1:${await closedPort()}`
    try {
      assert.equal((await validateToken({headers: HEADERS, tls: {caPem: CA_PEM}, url: `${server.url}/ok`})).status, 200)
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY
      else process.env.HTTPS_PROXY = saved
    }
  })
})
