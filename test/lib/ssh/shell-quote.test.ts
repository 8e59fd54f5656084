import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {describe, it} from 'node:test'

import {envPrefix, shellQuote} from '../../../src/lib/ssh/shell-quote.js'

const TRICKY = [
  "it's",
  "'",
  "''",
  'two words',
  '$HOME',
  '${PATH}',
  '$(touch /tmp/hyops-pwned)',
  '`id`',
  'a\\b',
  'line\nbreak',
  '',
  ' ',
  '!x',
  '*',
  'ünïcode',
  'a"b',
  "--x='y'",
]

/** What bash makes of a command line (run for real). */
function bash(line: string): string {
  return execFileSync('bash', ['-c', line], {
    encoding: 'utf8',
    env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent'},
  })
}

describe('shellQuote', () => {
  it('survives bash word by word, whatever the value holds', () => {
    for (const value of TRICKY) {
      assert.equal(bash(`printf '%s' ${shellQuote(value)}`), value, `value ${JSON.stringify(value)}`)
    }
  })

  it('keeps several quoted words apart', () => {
    const line = `printf '<%s>' ${TRICKY.map(shellQuote).join(' ')}`
    assert.equal(bash(line), TRICKY.map((v) => `<${v}>`).join(''))
  })

  it("writes ' as '\\''", () => {
    assert.equal(shellQuote("it's"), `'it'\\''s'`)
    assert.equal(shellQuote(''), `''`)
  })

  it('refuses a NUL byte', () => {
    assert.throws(() => shellQuote('a\0b'), TypeError)
  })
})

describe('envPrefix', () => {
  it('sets each variable for the next command only', () => {
    const env = {A: "it's $HOME", B: 'x y', C_1: '`id`'}
    const line = `${envPrefix(env)} bash -c 'printf "%s|%s|%s" "$A" "$B" "$C_1"'; printf '/%s' "\${A:-unset}"`
    assert.equal(bash(line), "it's $HOME|x y|`id`/unset")
  })

  it('refuses names a shell would not read as one variable', () => {
    for (const name of ['1A', 'A-B', 'A B', '', 'A=B', '$A'])
      assert.throws(() => envPrefix({[name]: 'x'}), TypeError, name)
  })

  it('is empty without variables', () => {
    assert.equal(envPrefix({}), '')
  })
})
