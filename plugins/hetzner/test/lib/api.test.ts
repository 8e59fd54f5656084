import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {ExitCode, HyopsError} from 'hyops'

import {serversUrl, validateHetznerToken} from '../../src/lib/api.js'
import {closedPort, OTHER_CA_FILE, SIM_CA_FILE, startHcloudSim, type HcloudSim} from '../helpers/hcloud-sim.js'
import {cleanupTempDirs, tempDir} from '../helpers/hyops-cli.js'

let sim: HcloudSim
before(async () => {
  sim = await startHcloudSim(['good-token-1234'])
})
after(async () => {
  await sim.close()
  await cleanupTempDirs()
})

function hyopsError(exitCode: number, reason: string | undefined, pattern: RegExp) {
  return (error: unknown) =>
    error instanceof HyopsError && error.exitCode === exitCode && error.reason === reason && pattern.test(error.message)
}

describe('Hetzner token validation (GET /v1/servers)', () => {
  it('accepts a token the API knows, sending it only as a Bearer header', async () => {
    const before = sim.requests.length
    const result = await validateHetznerToken('good-token-1234', {apiUrl: sim.url, caFile: SIM_CA_FILE})
    assert.deepEqual(result, {servers: 1, status: 200, url: `${sim.url}/v1/servers`})
    assert.deepEqual(sim.requests.slice(before), [
      {authorization: 'Bearer good-token-1234', method: 'GET', path: '/v1/servers'},
    ])
  })

  it('reports a refused token as exit 20 with reason token-rejected, naming the URL', async () => {
    await assert.rejects(
      validateHetznerToken('bad-token-5678', {apiUrl: sim.url, caFile: SIM_CA_FILE}),
      (error: unknown) => {
        assert.ok(hyopsError(ExitCode.Remote, 'token-rejected', /rejected the token \(401 Unauthorized\)/)(error))
        assert.ok((error as Error).message.includes(`${sim.url}/v1/servers`))
        assert.ok(!(error as Error).message.includes('bad-token-5678'))
        return true
      },
    )
  })

  it('reports API failures and answers that are not the Hetzner API as exit 20', async () => {
    try {
      sim.mode = 'maintenance'
      await assert.rejects(
        validateHetznerToken('good-token-1234', {apiUrl: sim.url, caFile: SIM_CA_FILE}),
        hyopsError(20, 'api-error', /answered 503 Service Unavailable/),
      )
      sim.mode = 'not-api'
      await assert.rejects(
        validateHetznerToken('good-token-1234', {apiUrl: sim.url, caFile: SIM_CA_FILE}),
        hyopsError(20, 'api-error', /not like the Hetzner API/),
      )
    } finally {
      sim.mode = 'api'
    }
  })

  it('names the URL when the API is unreachable or times out', async () => {
    const port = await closedPort()
    await assert.rejects(
      validateHetznerToken('t', {apiUrl: `https://127.0.0.1:${port}`}),
      hyopsError(
        20,
        'unreachable',
        new RegExp(
          `cannot reach the Hetzner API at https://127\\.0\\.0\\.1:${port}/v1/servers: connection ` +
            `refused, ECONNREFUSED`,
        ),
      ),
    )

    const {createServer} = await import('node:net')
    const silent = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const {port: silentPort} = silent.address() as {port: number}
      await assert.rejects(
        validateHetznerToken('t', {apiUrl: `https://127.0.0.1:${silentPort}`, timeoutMs: 300}),
        hyopsError(20, 'unreachable', /no answer from the Hetzner API at .* within 300 ms/),
      )
    } finally {
      silent.close()
    }
  })

  it('verifies TLS: an untrusted certificate fails with reason tls, HCLOUD_CA_FILE problems are exit 11', async () => {
    await assert.rejects(
      validateHetznerToken('good-token-1234', {apiUrl: sim.url}),
      hyopsError(20, 'tls', /TLS verification failed/),
    )
    await assert.rejects(
      validateHetznerToken('good-token-1234', {apiUrl: sim.url, caFile: OTHER_CA_FILE}),
      hyopsError(20, 'tls', /TLS verification failed/),
    )
    const dir = await tempDir()
    await writeFile(join(dir, 'not.pem'), 'hello')
    await assert.rejects(
      validateHetznerToken('t', {apiUrl: sim.url, caFile: join(dir, 'not.pem')}),
      hyopsError(11, undefined, /holds no PEM certificate/),
    )
    await assert.rejects(
      validateHetznerToken('t', {apiUrl: sim.url, caFile: join(dir, 'missing.pem')}),
      hyopsError(11, undefined, /cannot read HCLOUD_CA_FILE .*: no such file$/),
    )
  })

  it('builds the servers URL from a base with or without a path', () => {
    assert.equal(serversUrl('https://api.hetzner.cloud'), 'https://api.hetzner.cloud/v1/servers')
    assert.equal(serversUrl('https://proxy.test/hcloud/'), 'https://proxy.test/hcloud/v1/servers')
  })
})
