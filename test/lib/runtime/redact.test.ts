import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {Redactor} from '../../../src/lib/runtime/redact.js'

describe('Redactor (the value, never the words around it)', () => {
  const redactor = new Redactor()

  it('keeps the words after a token id in a message', () => {
    for (const text of [
      'automation@pam!hyops-token: Token already exists.',
      'token: Token already exists',
      'token_id: automation@pam!x',
    ])
      assert.equal(redactor.redact(text), text)
  })

  it('still masks the values of secret assignments', () => {
    assert.equal(redactor.redact('password=hunter2 ok'), 'password=*** ok')
    assert.equal(redactor.redact('"token": "abc-def"'), '"token": "***"')
    assert.equal(redactor.redact('secret: 1234-abcd-99 here'), 'secret: *** here')
    assert.equal(redactor.redact('EXPORT:ab12:TOKEN_SECRET=xyz-1'), 'EXPORT:ab12:TOKEN_SECRET=***')
    assert.equal(redactor.redact('Authorization: PVEAPIToken=a@b!c=1234-5678'), 'Authorization: ***')
  })
})
