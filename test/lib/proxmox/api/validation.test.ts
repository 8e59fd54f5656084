import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {inspect} from 'node:util'

import {ExitCode, HyopsError} from '../../../../src/lib/errors.js'
import {type ProxmoxTokenCheck, validateProxmoxToken} from '../../../../src/lib/proxmox/api/validation.js'
import {proxmoxUrl} from '../../../../src/lib/proxmox/api/url.js'
import {CA_PEM, closedPort, json, OTHER_CA_PEM, startHttpsServer, type TestHttpsServer} from '../../http/tls-server.js'

const GOOD = 'a3f1c0de-5ec2-47ab-9f00-1234567890ab'
const LIMITED = '0b9e7d2c-1111-4222-8333-444455556666'
// token id -> [secret, storages it may read]
const TOKENS: Record<string, [string, string[]]> = {
  'automation@pam!infra-token': [GOOD, ['local', 'missing']],
  'limited@pve!ro': [LIMITED, []],
}

let api: TestHttpsServer
let apiUrl: string

before(async () => {
  api = await startHttpsServer((req, res) => {
    const match = /^PVEAPIToken=(.+)=([^=]+)$/.exec(req.headers.authorization ?? '')
    const token = match ? TOKENS[match[1]] : undefined
    // Proxmox answers a bad token with 401 and a reason phrase.
    if (!token || token[0] !== match?.[2]) return json(res, 401, {data: null}, 'invalid token value!')
    const path = req.url ?? ''
    if (path === '/api2/json/version') return json(res, 200, {data: {release: '8.2', version: '8.2.4'}})
    const storage = /^\/api2\/json\/nodes\/([^/]+)\/storage\/([^/]+)\/content$/.exec(path)
    if (storage && storage[1] === 'slow') return // never answers
    if (storage && storage[1] === 'pve1') {
      if (!token[1].includes(storage[2]))
        return json(res, 403, {data: null}, `Permission check failed (/storage/${storage[2]}, Datastore.Audit)`)
      if (storage[2] === 'missing') return json(res, 500, {data: null}, `storage '${storage[2]}' does not exist`)
      return json(res, 200, {data: []})
    }

    json(res, 500, {data: null}, `hostname lookup '${storage?.[1]}' failed`)
  })
  apiUrl = proxmoxUrl('127.0.0.1', api.port)
})

after(() => api.close())

function check(overrides: Partial<ProxmoxTokenCheck> = {}): ProxmoxTokenCheck {
  return {
    apiUrl,
    caPem: CA_PEM,
    node: 'pve1',
    secret: GOOD,
    storage: 'local',
    tlsSkip: false,
    tokenId: 'automation@pam!infra-token',
    ...overrides,
  }
}

async function rejected(
  promise: Promise<unknown>,
  reason: string,
  ...parts: Array<RegExp | string>
): Promise<HyopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  assert.ok(error instanceof HyopsError, `expected a HyopsError, got ${inspect(error)}`)
  assert.equal(error.exitCode, ExitCode.Secrets)
  assert.equal(error.reason, reason, error.line)
  for (const part of parts) {
    if (typeof part === 'string') assert.ok(error.line.includes(part), `"${error.line}" should say ${part}`)
    else assert.match(error.line, part)
  }

  for (const text of [error.line, inspect(error), JSON.stringify(error), String(error.stack)]) {
    assert.ok(!text.includes(GOOD) && !text.includes(LIMITED), `no secret in ${text}`)
  }

  return error
}

describe('validateProxmoxToken', () => {
  it('a good token passes /version and the storage content, over one connection, verified against the CA', async () => {
    const seen = api.seen.length
    const opened = api.connections
    const result = await validateProxmoxToken(check())
    assert.equal(result.version, '8.2.4')
    assert.deepEqual(
      api.seen.slice(seen).map((r) => r.url),
      ['/api2/json/version', '/api2/json/nodes/pve1/storage/local/content'],
    )
    assert.equal(api.seen.at(-1)?.authorization, `PVEAPIToken=automation@pam!infra-token=${GOOD}`)
    assert.equal(api.connections - opened, 1)
  })

  it('TLS_SKIP accepts the certificate without a CA', async () => {
    assert.equal((await validateProxmoxToken(check({caPem: undefined, tlsSkip: true}))).version, '8.2.4')
  })

  it('a wrong secret is 401: token-rejected, exit 21', async () => {
    await rejected(
      validateProxmoxToken(check({secret: 'ffffffff-0000-0000-0000-000000000000'})),
      'token-rejected',
      'Proxmox rejected the token automation@pam!infra-token (401)',
      '--force',
    )
    await rejected(validateProxmoxToken(check({tokenId: 'ghost@pam!gone'})), 'token-rejected', 'ghost@pam!gone')
  })

  it('a token without rights on the storage is 403: token-forbidden, naming /storage/<id>', async () => {
    await rejected(
      validateProxmoxToken(check({secret: LIMITED, tokenId: 'limited@pve!ro'})),
      'token-forbidden',
      'token limited@pve!ro lacks permission on /storage/local (403)',
    )
  })

  it('another answer is api-error with the status and the reason phrase', async () => {
    await rejected(
      validateProxmoxToken(check({storage: 'missing'})),
      'api-error',
      "500 storage 'missing' does not exist",
      'FALLBACK_STORAGE_SNIPPETS',
    )
    await rejected(validateProxmoxToken(check({node: 'other'})), 'api-error', /500/)
  })

  it(
    'verification on without the CA, or with another CA, is a tls failure naming TLS_SKIP and ' + 'TLS_CA_FILE',
    async () => {
      const noCa = await rejected(
        validateProxmoxToken(check({caPem: undefined})),
        'tls',
        'TLS verification',
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        'TLS_SKIP',
        'TLS_CA_FILE',
      )
      assert.match(noCa.line, /system CAs/)
      await rejected(validateProxmoxToken(check({caPem: OTHER_CA_PEM})), 'tls', 'TLS verification', 'TLS_CA_FILE')
    },
  )

  it('an unreachable API names the URL', async () => {
    const port = await closedPort()
    await rejected(
      validateProxmoxToken(check({apiUrl: proxmoxUrl('127.0.0.1', port)})),
      'unreachable',
      `https://127.0.0.1:${port}/api2/json/version`,
      'connection refused',
      'PROXMOX_API_PORT',
    )
  })

  it('no answer in time counts as unreachable', async () => {
    await rejected(validateProxmoxToken(check({node: 'slow', timeoutMs: 300})), 'unreachable', 'in time')
  })

  it('an abort cancels a check in flight', async () => {
    const controller = new AbortController()
    const started = Date.now()
    const pending = validateProxmoxToken(check({node: 'slow', signal: controller.signal}))
    setTimeout(() => controller.abort(), 50)
    await rejected(pending, 'cancelled', 'cancelled')
    assert.ok(Date.now() - started < 5000)
  })

  it('concurrent candidates: the first good one wins and the others are cancelled', async () => {
    const controller = new AbortController()
    const candidates = [
      check({node: 'slow', signal: controller.signal}),
      check({signal: controller.signal}),
      check({secret: 'ffffffff-0000-0000-0000-000000000000', signal: controller.signal}),
    ]
    const outcomes = candidates.map((candidate) => validateProxmoxToken(candidate).then(() => candidate))
    const winner = await Promise.any(outcomes)
    controller.abort()
    const settled = await Promise.allSettled(outcomes)
    assert.equal(winner.node, 'pve1')
    assert.equal(winner.secret, GOOD)
    assert.equal(((settled[0] as PromiseRejectedResult).reason as HyopsError).reason, 'cancelled')
    assert.equal(((settled[2] as PromiseRejectedResult).reason as HyopsError).reason, 'token-rejected')
  })

  it('a secret with whitespace or control characters is refused without sending it or showing it', async () => {
    const seen = api.seen.length
    const error = await rejected(
      validateProxmoxToken(check({secret: 'abc def\r\nX-Evil: 1'})),
      'invalid-secret',
      'automation@pam!infra-token',
    )
    assert.doesNotMatch(error.line, /abc def|Evil/)
    assert.equal(api.seen.length, seen)
  })
})
