import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {TRICKY_VALUES as VALUES} from '../../fixtures/vault/tricky-values.js'
import {
  DEFAULT_ENV_HEADER,
  formatEnvFile,
  isValidEnvKey,
  parseEnvFile,
  quoteEnvValue,
} from '../../../src/lib/vault/env-file.js'

describe('env-file codec', () => {
  it('writes comment lines, then sorted KEY="value" lines with the four escapes', () => {
    const text = formatEnvFile({B: 'two "quoted"', A: 'back\\slash', C: 'cr\rlf\n'}, ['# header'])
    assert.equal(text, '# header\nA="back\\\\slash"\nB="two \\"quoted\\""\nC="cr\\rlf\\n"\n')
  })

  it('starts a new file with the default header', () => {
    const text = formatEnvFile({K: 'v'})
    assert.equal(text, `${DEFAULT_ENV_HEADER.join('\n')}\nK="v"\n`)
    assert.ok(DEFAULT_ENV_HEADER.every((line) => line.startsWith('#')))
  })

  it('round-trips tricky values exactly', () => {
    const TRICKY_VALUES = {...VALUES, EMPTY: ''}
    const text = formatEnvFile(TRICKY_VALUES)
    assert.equal(
      text.split('\n').length,
      Object.keys(TRICKY_VALUES).length + DEFAULT_ENV_HEADER.length + 1,
      'one line per key',
    )
    const parsed = parseEnvFile(text)
    assert.deepEqual(parsed.values, TRICKY_VALUES)
    assert.deepEqual(parsed.invalidLines, [])
    assert.deepEqual(parsed.comments, DEFAULT_ENV_HEADER)
  })

  it('reads bare, single-quoted and double-quoted values, export and spaces around =', () => {
    const parsed = parseEnvFile(
      [
        '# comment',
        '',
        'BARE=  plain value  ',
        'SINGLE=\'it\\n stays "as" written\'',
        'DOUBLE="tab \\t and \\q kept, \\n decoded"  # trailing comment',
        'export EXPORTED="x"',
        '  SPACED = "y"',
        'EMPTY=',
        'LATER=1',
        'LATER=2',
      ].join('\n'),
    )
    assert.deepEqual(parsed.values, {
      BARE: 'plain value',
      DOUBLE: 'tab \\t and \\q kept, \n decoded',
      EMPTY: '',
      EXPORTED: 'x',
      LATER: '2',
      SINGLE: 'it\\n stays "as" written',
      SPACED: 'y',
    })
    assert.deepEqual(parsed.comments, ['# comment'])
    assert.deepEqual(parsed.invalidLines, [])
  })

  it('reads CRLF files, a byte-order mark and double-quoted values that span lines', () => {
    const parsed = parseEnvFile('\uFEFFA="1"\r\nB="first\r\nsecond"\r\nC=3\r\n')
    assert.deepEqual(parsed.values, {A: '1', B: 'first\nsecond', C: '3'})
  })

  it('reports lines it does not understand instead of guessing', () => {
    const parsed = parseEnvFile('GOOD="1"\nno equals sign\n1BAD=x\nOPEN="never closed\nAFTER="x" junk\nLAST=ok\n')
    assert.deepEqual(parsed.values, {GOOD: '1', LAST: 'ok'})
    assert.deepEqual(parsed.invalidLines, [2, 3, 4, 5])
  })

  it('keeps a key named __proto__ as an ordinary key', () => {
    const parsed = parseEnvFile('__proto__="x"\n')
    assert.equal(Object.hasOwn(parsed.values, '__proto__'), true)
    assert.equal(parsed.values.__proto__, 'x')
    assert.equal(Object.getPrototypeOf(parsed.values), Object.prototype)
  })

  it('accepts only env-style key names', () => {
    for (const key of ['A', '_x', 'PROXMOX_TOKEN_SECRET', 'a1']) assert.equal(isValidEnvKey(key), true, key)
    for (const key of ['', '1A', 'A-B', 'A B', 'A=B', 'É']) assert.equal(isValidEnvKey(key), false, key)
    assert.throws(() => formatEnvFile({'A-B': 'x'}))
  })

  it('quotes a value alone', () => {
    assert.equal(quoteEnvValue('a"b\\c\nd'), '"a\\"b\\\\c\\nd"')
  })
})
