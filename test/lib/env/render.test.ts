import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {rootCertificates} from 'node:tls'
import {describe, it} from 'node:test'

import {caBundleText, pemCertificates, systemTrusts} from '../../../src/lib/env/ca-bundle.js'
import {renderEnv, renderNames} from '../../../src/lib/env/render.js'
import {parseEnvFile} from '../../../src/lib/vault/env-file.js'
import {SIM_CA_FILE} from '../../helpers/proxmox-env.js'

const HOSTILE = `a'b "c" $d \`e\` \\f\nsecond line\r\n  ${'${g}'} !h`

describe('renderEnv', () => {
  it('shell: export lines that sh evaluates back to the exact value, newlines included', () => {
    const text = renderEnv(
      [
        {name: 'A', value: HOSTILE},
        {name: 'EMPTY', value: ''},
      ],
      'shell',
    )
    assert.equal(text.split('\n')[0], `export A='a'\\''b "c" $d \`e\` \\f`)
    const dump = spawnSync('sh', ['-c', `${text}\nprintf '%s|%s' "$A" "$EMPTY"`], {encoding: 'utf8', env: {}})
    assert.equal(dump.stdout, `${HOSTILE}|`)
  })

  it('dotenv: single quotes when they are literal, else the vault format; both read back', () => {
    const text = renderEnv(
      [
        {name: 'PLAIN', value: 'x $y "z"'},
        {name: 'HARD', value: HOSTILE},
      ],
      'dotenv',
    )
    assert.match(text, /^PLAIN='x \$y "z"'$/m)
    assert.match(text, /^HARD="a'b \\"c\\" /m)
    assert.deepEqual(parseEnvFile(text).values, {HARD: HOSTILE, PLAIN: 'x $y "z"'})
  })

  it('json: one object; names: one a line or an array', () => {
    const vars = [
      {name: 'A', value: '1'},
      {name: 'B', secret: true, value: HOSTILE},
    ]
    assert.deepEqual(JSON.parse(renderEnv(vars, 'json')), {A: '1', B: HOSTILE})
    assert.equal(renderNames(vars, 'shell'), 'A\nB\n')
    assert.equal(renderNames(vars, 'json'), '["A","B"]\n')
  })

  it('refuses a name that is not a variable name, and a NUL in a value', () => {
    assert.throws(() => renderEnv([{name: 'A-B', value: 'x'}], 'shell'), /invalid environment variable name/)
    assert.throws(() => renderEnv([{name: 'A', value: 'x\0y'}], 'shell'), /NUL/)
  })
})

describe('the CA bundle', () => {
  it('a system root is trusted already; the simulated cluster CA is not', async () => {
    assert.equal(systemTrusts(rootCertificates[0]), true)
    const ca = await readFile(SIM_CA_FILE, 'utf8')
    assert.equal(systemTrusts(ca), false)
    assert.equal(systemTrusts(ca + rootCertificates[0]), false, 'every certificate must be a system one')
    assert.equal(systemTrusts('no pem here'), false)
  })

  it('holds the system roots and the CA, each certificate once', async () => {
    const ca = await readFile(SIM_CA_FILE, 'utf8')
    const certs = pemCertificates(caBundleText(ca))
    assert.equal(certs.length, rootCertificates.length + pemCertificates(ca).length)
    assert.equal(certs.at(-1), pemCertificates(ca)[0])
  })
})
