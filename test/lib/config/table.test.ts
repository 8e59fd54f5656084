import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {configFlags} from '../../../src/lib/config/flags.js'
import {describeConfig} from '../../../src/lib/config/describe.js'
import {invalidValue} from '../../../src/lib/config/errors.js'
import {parseConfigText} from '../../../src/lib/config/ini.js'
import {resolveConfig} from '../../../src/lib/config/resolve.js'
import {defineConfig, envVarFor} from '../../../src/lib/config/table.js'
import {renderConfigTemplate} from '../../../src/lib/config/template.js'
import {ExitCode, HyopsError} from '../../../src/lib/errors.js'

const TABLE = defineConfig({
  checks: {
    upper(candidate, key) {
      if (candidate.value !== candidate.value.toUpperCase())
        throw invalidValue(key, candidate, 'in capitals', 'write it in capitals')
      return candidate.value
    },
  },
  header: ['demo: a test table.'],
  keys: [
    {description: 'Where', field: 'host', flag: 'demo-host', key: 'DEMO_HOST', kind: 'text', required: true},
    {
      default: '8080',
      description: 'Port',
      field: 'port',
      flag: 'port',
      key: 'PORT',
      kind: 'port',
      template: {comment: ['The port.'], value: '8080'},
    },
    {aliases: ['shout'], description: 'Shout', field: 'mode', flag: 'mode', key: 'MODE', kind: 'upper'},
    {description: 'A secret', key: 'SECRET', kind: 'text', secret: true},
  ],
  section: 'demo',
  target: 'demo',
  title: 'Demo',
})

const FILE = '/r/config/demo.conf'

function exit11(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HyopsError)
    assert.equal(error.exitCode, ExitCode.ConfigInvalid)
    assert.match(error.line, message)
    return true
  })
}

describe('a config key table', () => {
  it('names env variables HYOPS_<TARGET>_<KEY>, dropping a leading <TARGET>_', () => {
    assert.equal(envVarFor('demo', 'DEMO_HOST'), 'HYOPS_DEMO_HOST')
    assert.equal(envVarFor('demo', 'PORT'), 'HYOPS_DEMO_PORT')
    assert.equal(envVarFor('my-cloud', 'API'), 'HYOPS_MY_CLOUD_API')
    assert.deepEqual(
      TABLE.keys.map((key) => key.env),
      ['HYOPS_DEMO_HOST', 'HYOPS_DEMO_PORT', 'HYOPS_DEMO_MODE', 'HYOPS_DEMO_SECRET'],
    )
  })

  it('refuses a kind that has no check when it is defined', () => {
    assert.throws(
      () => defineConfig({header: [], keys: [{description: '', key: 'X', kind: 'nope'}], target: 't', title: 'T'}),
      /config key X: no check for kind "nope"/,
    )
  })

  it('resolves flags > env > config > defaults with each source, checked by kind', () => {
    const config = parseConfigText(TABLE, '[demo]\nDEMO_HOST = file.test\nPORT = 22\nshout = LOUD\nSECRET = s\n', FILE)
    const environment = {HYOPS_DEMO_PORT: '2222', HYOPS_DEMO_SECRET: 'ignored'}
    const resolved = resolveConfig(TABLE, {config, configPath: FILE, environment, flags: {'demo-host': 'flag.test'}})
    assert.deepEqual(resolved.values, {DEMO_HOST: 'flag.test', MODE: 'LOUD', PORT: 2222, SECRET: 's'})
    assert.deepEqual(resolved.sources, {DEMO_HOST: 'flag', MODE: 'config', PORT: 'env', SECRET: 'config'})
    const defaults = resolveConfig(TABLE, {configPath: FILE, environment: {}, flags: {'demo-host': 'h'}})
    assert.deepEqual(defaults.values, {DEMO_HOST: 'h', PORT: 8080})
    assert.equal(defaults.sources.PORT, 'default')
  })

  it('says what is wrong in one exit-11 line naming the key, the value, where and the fix', () => {
    const config = parseConfigText(TABLE, '[demo]\nDEMO_HOST = h\nshout = quiet\n', FILE)
    exit11(
      () => resolveConfig(TABLE, {config, configPath: FILE, environment: {}, flags: {}}),
      /^MODE "quiet" \(\/r\/config\/demo\.conf line 3 \(shout\)\) is not in capitals \(write it in capitals\)$/,
    )
    exit11(
      () => resolveConfig(TABLE, {configPath: FILE, environment: {HYOPS_DEMO_HOST: 'h'}, flags: {port: '0'}}),
      /^PORT "0" \(--port\) is not a port \(use a number from 1 to 65535\)$/,
    )
    exit11(
      () => resolveConfig(TABLE, {configPath: FILE, environment: {}, flags: {}}),
      /^DEMO_HOST is not set \(set DEMO_HOST in \/r\/config\/demo\.conf, pass --demo-host or set HYOPS_DEMO_HOST\)$/,
    )
    exit11(() => parseConfigText(TABLE, 'PORT = 1\n', FILE), /line 1: PORT is set before any \[section\]/)
    exit11(() => parseConfigText(TABLE, '[other]\n', FILE), /has no \[demo\] section \(add a \[demo\] line/)
  })

  it('makes one string flag per key with a flag, whose help names the key, the env variable and the default', () => {
    const flags = configFlags(TABLE)
    assert.deepEqual(Object.keys(flags).sort(), ['demo-host', 'mode', 'port'])
    assert.equal(flags.port.description, 'Port [config PORT, env HYOPS_DEMO_PORT, default 8080]')
    assert.equal(flags.port.helpGroup, 'DEMO')
  })

  it('writes the template from the table and describes resolved inputs by key, never a secret', () => {
    assert.equal(renderConfigTemplate(TABLE), '# demo: a test table.\n\n[demo]\n# The port.\nPORT = 8080\n')
    assert.deepEqual(describeConfig(TABLE, {host: 'h', mode: undefined, port: 22, secret: 'x'}), {
      DEMO_HOST: 'h',
      PORT: '22',
    })
  })

  it('reads plain KEY = value lines (an export prefix allowed) when the table has no section', () => {
    const flat = defineConfig({
      header: [],
      keys: [{description: '', key: 'A', kind: 'text'}],
      target: 'flat',
      title: 'Flat',
    })
    const file = parseConfigText(flat, '\uFEFFexport A = "x y"\nB=1\n', '/f.conf')
    assert.deepEqual(file.values, {A: 'x y'})
    assert.deepEqual(file.unknown, [{line: 2, name: 'B'}])
    exit11(() => parseConfigText(flat, '[a]\n', '/f.conf'), /line 1: "\[a\]" is not a KEY = value or # comment line/)
  })
})
