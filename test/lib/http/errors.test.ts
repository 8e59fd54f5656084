import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {AxiosError, CanceledError} from 'axios'

import {describeHttpError, httpStatusFailure, isTlsErrorCode, safeUrl} from '../../../src/lib/http/errors.js'

const URL_ = 'https://user:pw@10.0.0.5:8006/api2/json/version?ticket=abc#x'

function systemError(code: string, message = code): Error {
  return Object.assign(new Error(message), {code})
}

describe('describeHttpError', () => {
  it('maps TLS codes to tls', () => {
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'CERT_HAS_EXPIRED',
      'ERR_SSL_WRONG_VERSION_NUMBER',
      'EPROTO',
    ]) {
      const failure = describeHttpError(AxiosError.from(systemError(code)), URL_)
      assert.equal(failure.kind, 'tls', code)
      assert.equal(failure.code, code)
      assert.ok(isTlsErrorCode(code))
    }

    assert.match(describeHttpError(systemError('CERT_HAS_EXPIRED'), URL_).message, /expired/)
  })

  it('maps network codes to unreachable, also inside an AggregateError', () => {
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ENETUNREACH']) {
      assert.equal(describeHttpError(AxiosError.from(systemError(code)), URL_).kind, 'unreachable', code)
    }

    const aggregate = new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')], '')
    const failure = describeHttpError(AxiosError.from(aggregate), URL_)
    assert.equal(failure.kind, 'unreachable')
    assert.equal(failure.code, 'ECONNREFUSED')
  })

  it('maps axios timeouts, cancels and answers', () => {
    assert.equal(
      describeHttpError(new AxiosError('timeout of 10ms exceeded', 'ECONNABORTED'), URL_, 10).kind,
      'timeout',
    )
    assert.equal(describeHttpError(new AxiosError('timeout of 10ms exceeded', 'ETIMEDOUT'), URL_, 10).kind, 'timeout')
    assert.equal(describeHttpError(new CanceledError(), URL_).kind, 'cancelled')
    const withResponse = new AxiosError('Request failed', 'ERR_BAD_REQUEST', undefined, undefined, {
      config: {} as never,
      data: {},
      headers: {},
      status: 403,
      statusText: 'Forbidden',
    })
    const failure = describeHttpError(withResponse, URL_)
    assert.equal(failure.kind, 'forbidden')
    assert.equal(failure.status, 403)
    assert.equal(describeHttpError(new Error('weird'), URL_).kind, 'other')
  })

  it('statuses: 401 unauthorized, 403 forbidden, others status; the reason phrase stays one line', () => {
    assert.equal(httpStatusFailure(401, '', URL_).kind, 'unauthorized')
    assert.equal(httpStatusFailure(403, 'Permission check failed', URL_).kind, 'forbidden')
    const failure = httpStatusFailure(500, 'line one\r\nline two', URL_)
    assert.equal(failure.kind, 'status')
    assert.doesNotMatch(failure.message, /[\r\n]/)
  })

  it('messages hold no credentials, query or fragment of the URL', () => {
    assert.equal(safeUrl(URL_), 'https://10.0.0.5:8006/api2/json/version')
    const failure = describeHttpError(AxiosError.from(systemError('ECONNREFUSED')), URL_)
    assert.doesNotMatch(failure.message, /pw|ticket|user:/)
    assert.equal(failure.url, 'https://10.0.0.5:8006/api2/json/version')
  })

  it('keeps no reference to the request configuration (which holds the Authorization header)', () => {
    const axiosError = AxiosError.from(systemError('ECONNREFUSED'), undefined, {
      headers: {Authorization: 'PVEAPIToken=a@pam!t=SECRET'},
    } as never)
    const failure = describeHttpError(axiosError, URL_)
    assert.equal(failure.cause, undefined)
    assert.doesNotMatch(JSON.stringify(failure) + failure.message + String(failure.stack), /SECRET/)
  })
})
