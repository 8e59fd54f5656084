import assert from 'node:assert/strict'
import {mkdir, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {ExitCode, HyopsError} from '../../../../src/lib/errors.js'
import {
  describeProxmoxInputs,
  parseProxmoxConfig,
  type ProxmoxConfigFile,
  readProxmoxConfig,
  readTlsCaFile,
  resolveProxmoxInputs,
} from '../../../../src/lib/proxmox/config/resolve.js'
import {PROJECT_ROOT} from '../../../helpers/cli.js'
import {cleanupTempDirs, tempDir} from '../../../helpers/cli.js'

after(cleanupTempDirs)

const CONF = '/r/config/proxmox.conf'

function config(text: string, path = CONF): ProxmoxConfigFile {
  return parseProxmoxConfig(text, path)
}

/** Asserts a config-invalid error whose message names every `parts` entry. */
function assertConfigError(fn: () => unknown, ...parts: Array<RegExp | string>): HyopsError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }

  assert.ok(caught instanceof HyopsError, `expected a HyopsError, got ${String(caught)}`)
  assert.equal(caught.exitCode, ExitCode.ConfigInvalid)
  const line = caught.line
  for (const part of parts) {
    if (typeof part === 'string') assert.ok(line.includes(part), `"${line}" should name ${part}`)
    else assert.match(line, part)
  }

  assert.doesNotMatch(line, /\n/)
  return caught
}

async function assertConfigErrorAsync(promise: Promise<unknown>, ...parts: string[]): Promise<HyopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  return assertConfigError(
    () => {
      throw error ?? new Error('no error')
    },
    ...parts,
  )
}

const MINIMAL = '[proxmox]\nPROXMOX_IP = 10.1.2.3\nUSER_FQ = automation@pam\n'

function resolve(text: string | undefined, flags: Record<string, unknown> = {}, environment: NodeJS.ProcessEnv = {}) {
  return resolveProxmoxInputs({
    config: text === undefined ? undefined : config(text),
    configPath: CONF,
    environment,
    flags,
  })
}

describe('readProxmoxConfig', () => {
  it('a missing file is exists: false', async () => {
    const dir = await tempDir()
    const read = await readProxmoxConfig(join(dir, 'nope.conf'))
    assert.equal(read.exists, false)
    assert.deepEqual(read.values, {})
  })

  it('reads the keys, legacy aliases (any case), quotes and comments, with line numbers', async () => {
    const dir = await tempDir()
    const path = join(dir, 'proxmox.conf')
    await writeFile(
      path,
      [
        '# comment',
        '; another',
        '[other]',
        'host = 9.9.9.9',
        '',
        '[proxmox]',
        'host = 10.0.0.5',
        '  user_fq = "ops@pve"  ',
        'Token_Name = ci-token ; inline comment',
        'port=8443',
        'tls_skip = false',
        'api_token_id =',
        'SOMETHING_ELSE = x',
        'ssh_private_key = ~/.ssh/id_rsa',
      ].join('\r\n'),
    )
    const read = await readProxmoxConfig(path)
    assert.equal(read.exists, true)
    assert.deepEqual(read.values, {
      PROXMOX_API_PORT: '8443',
      PROXMOX_IP: '10.0.0.5',
      PROXMOX_SSH_KEY: '~/.ssh/id_rsa',
      TLS_SKIP: 'false',
      TOKEN_NAME: 'ci-token',
      USER_FQ: 'ops@pve',
    })
    assert.deepEqual(read.lines.PROXMOX_IP, {line: 7, name: 'host'})
    assert.deepEqual(read.lines.TOKEN_NAME, {line: 9, name: 'Token_Name'})
    assert.equal(read.lines.API_TOKEN_ID, undefined, 'an empty value is unset')
    assert.deepEqual(read.unknown, [{line: 13, name: 'SOMETHING_ELSE'}])
  })

  it('a line that is not INI is exit 11 with the file and line', async () => {
    assertConfigError(() => config('[proxmox]\nPROXMOX_IP = 1.2.3.4\nthis is not ini\n'), CONF, 'line 3')
    assertConfigError(() => config('[proxmox\nPROXMOX_IP = 1.2.3.4\n'), 'line 1')
    assertConfigError(() => config('[proxmox]\n= value\n'), 'line 2')
    assertConfigError(() => config('[]\n'), 'line 1', 'empty section')
    assertConfigError(() => config('[proxmox]\nhost: 1.2.3.4\n'), 'line 2')
  })

  it('a key before any section, a key set twice, and no [proxmox] section are exit 11', () => {
    assertConfigError(() => config('PROXMOX_IP = 1.2.3.4\n[proxmox]\n'), 'line 1', 'before any [section]')
    assertConfigError(
      () => config('[proxmox]\nhost = 1.2.3.4\nPROXMOX_IP = 1.2.3.5\n'),
      'line 3',
      'PROXMOX_IP',
      'line 2',
    )
    const error = assertConfigError(() => config('# nothing\n[other]\nPROXMOX_IP = 1.2.3.4\n'), CONF, '[proxmox]')
    assert.equal(error.reason, 'config-malformed')
    assertConfigError(() => config(''), '[proxmox]')
  })

  it('a file that is not UTF-8 is exit 11 naming the line', async () => {
    const dir = await tempDir()
    const path = join(dir, 'latin1.conf')
    await writeFile(
      path,
      Buffer.concat([
        Buffer.from('[proxmox]\nPROXMOX_IP = 1.2.3.4\nUSER_FQ = caf'),
        Buffer.from([0xe9]),
        Buffer.from('@pam\n'),
      ]),
    )
    await assertConfigErrorAsync(readProxmoxConfig(path), path, 'line 3', 'UTF-8')
  })

  it('a UTF-8 BOM is accepted', async () => {
    const dir = await tempDir()
    const path = join(dir, 'bom.conf')
    await writeFile(path, '\uFEFF' + MINIMAL)
    assert.equal((await readProxmoxConfig(path)).values.PROXMOX_IP, '10.1.2.3')
  })

  it('a directory in place of the file is exit 11, not a stack trace', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'proxmox.conf'))
    await assertConfigErrorAsync(readProxmoxConfig(join(dir, 'proxmox.conf')), 'proxmox.conf', 'directory')
  })
})

describe('resolveProxmoxInputs', () => {
  it('fills defaults and records sources', () => {
    const inputs = resolve(MINIMAL)
    assert.equal(inputs.host, '10.1.2.3')
    assert.equal(inputs.userFq, 'automation@pam')
    assert.equal(inputs.tokenName, 'infra-token')
    assert.equal(inputs.tokenId, 'automation@pam!infra-token')
    assert.equal(inputs.tlsSkip, true)
    assert.equal(inputs.httpPort, 8802)
    assert.equal(inputs.apiPort, 8006)
    assert.equal(inputs.sshPort, 22)
    assert.equal(inputs.sshUsername, 'root')
    assert.equal(inputs.sshKey, join(homedir(), '.ssh/id_ed25519'))
    assert.equal(inputs.fallbackStorageVm, 'local-lvm')
    assert.equal(inputs.fallbackStorageIso, 'local')
    assert.equal(inputs.fallbackStorageSnippets, 'local')
    assert.equal(inputs.fallbackBridge, 'vmbr0')
    assert.equal(inputs.httpBindAddress, undefined)
    assert.equal(inputs.tlsCaFile, undefined)
    assert.equal(inputs.sshPublicKey, undefined)
    assert.equal('httpBindAddress' in inputs, false)
    assert.equal(inputs.sources.host, 'config')
    assert.equal(inputs.sources.tokenName, 'default')
    assert.equal(inputs.sources.fallbackStorageSnippets, 'default')
  })

  it('FALLBACK_STORAGE_SNIPPETS defaults to the resolved FALLBACK_STORAGE_ISO', () => {
    const inputs = resolve(MINIMAL + 'FALLBACK_STORAGE_ISO = nfs-iso\n')
    assert.equal(inputs.fallbackStorageSnippets, 'nfs-iso')
    assert.equal(
      resolve(MINIMAL + 'FALLBACK_STORAGE_ISO = a1\nFALLBACK_STORAGE_SNIPPETS = b2\n').fallbackStorageSnippets,
      'b2',
    )
  })

  it('precedence: flags > env > config > defaults, per key', () => {
    const text = MINIMAL + 'TOKEN_NAME = from-config\nHTTP_PORT = 1111\nTLS_SKIP = yes\nPROXMOX_API_PORT = 2222\n'
    const environment = {
      HYOPS_PROXMOX_HTTP_PORT: '3333',
      HYOPS_PROXMOX_IP: 'env-host.example',
      HYOPS_PROXMOX_TOKEN_NAME: 'from-env',
    }
    const flags = {'proxmox-ip': 'flag-host.example', 'tls-skip': 'FALSE'}
    const inputs = resolve(text, flags, environment)
    assert.equal(inputs.host, 'flag-host.example')
    assert.equal(inputs.sources.host, 'flag')
    assert.equal(inputs.tokenName, 'from-env')
    assert.equal(inputs.sources.tokenName, 'env')
    assert.equal(inputs.httpPort, 3333)
    assert.equal(inputs.sources.httpPort, 'env')
    assert.equal(inputs.tlsSkip, false)
    assert.equal(inputs.sources.tlsSkip, 'flag')
    assert.equal(inputs.apiPort, 2222)
    assert.equal(inputs.sources.apiPort, 'config')
    assert.equal(inputs.sshPort, 22)
    assert.equal(inputs.sources.sshPort, 'default')
    assert.equal(inputs.tokenId, 'automation@pam!from-env')
    assert.equal(inputs.sources.tokenId, 'env')
  })

  it('empty flag and env values count as unset', () => {
    const inputs = resolve(MINIMAL, {'user-fq': ''}, {HYOPS_PROXMOX_IP: '  '})
    assert.equal(inputs.host, '10.1.2.3')
    assert.equal(inputs.userFq, 'automation@pam')
  })

  it('works from flags and env alone, without a config file', () => {
    const inputs = resolve(undefined, {'user-fq': 'a@pve'}, {HYOPS_PROXMOX_IP: 'fd00::10'})
    assert.equal(inputs.host, 'fd00::10')
    assert.equal(inputs.userFq, 'a@pve')
    const missing = {
      config: {exists: false, lines: {}, path: CONF, unknown: [], values: {}},
      configPath: CONF,
      environment: {},
      flags: {'proxmox-ip': '[fd00::10]', 'user-fq': 'a@pve'},
    }
    assert.equal(resolveProxmoxInputs(missing).host, 'fd00::10', 'brackets around an IPv6 address are dropped')
  })

  it('legacy api_token_id derives USER_FQ and TOKEN_NAME; conflicts are exit 11', () => {
    const inputs = resolve('[proxmox]\nhost = 10.0.0.1\napi_token_id = terraform@pve!tf-token\n')
    assert.equal(inputs.userFq, 'terraform@pve')
    assert.equal(inputs.tokenName, 'tf-token')
    assert.equal(inputs.tokenId, 'terraform@pve!tf-token')
    assert.equal(
      resolve('[proxmox]\nhost = 10.0.0.1\napi_token_id = terraform@pve!tf-token\n', {'token-name': 'other'}).tokenId,
      'terraform@pve!other',
    )
    assertConfigError(
      () => resolve('[proxmox]\nhost = 10.0.0.1\nuser_fq = a@pam\napi_token_id = b@pam!x1\n'),
      'API_TOKEN_ID',
      'USER_FQ',
      'a@pam',
      'line 4',
    )
    assertConfigError(
      () => resolve('[proxmox]\nhost = 10.0.0.1\napi_token_id = no-bang@pam\n'),
      'API_TOKEN_ID',
      '"no-bang@pam"',
    )
    assert.equal(resolve(MINIMAL, {}, {HYOPS_PROXMOX_API_TOKEN_ID: 'x@pve!y1'}).tokenId, 'x@pve!y1')
  })

  it('missing PROXMOX_IP or USER_FQ is exit 11 naming the key, the file, the flag and the env var', () => {
    const noHost = assertConfigError(
      () => resolve('[proxmox]\nUSER_FQ = a@pam\n'),
      'PROXMOX_IP',
      CONF,
      '--proxmox-ip',
      'HYOPS_PROXMOX_IP',
    )
    assert.equal(noHost.reason, 'missing-key')
    assertConfigError(
      () => resolve('[proxmox]\nPROXMOX_IP = 1.2.3.4\n'),
      'USER_FQ',
      CONF,
      '--user-fq',
      'HYOPS_PROXMOX_USER_FQ',
    )
  })

  it('refuses the template placeholder host unless allowed', () => {
    for (const host of ['192.0.2.10', 'pve.example.local']) {
      const error = assertConfigError(
        () => resolve(`[proxmox]\nPROXMOX_IP = ${host}\nUSER_FQ = a@pam\n`),
        'PROXMOX_IP',
        host,
        `edit ${CONF}: set PROXMOX_IP`,
      )
      assert.equal(error.reason, 'placeholder-host')
    }

    const allowed = resolveProxmoxInputs({
      allowPlaceholderHost: true,
      config: config('[proxmox]\nPROXMOX_IP = 192.0.2.10\nUSER_FQ = a@pam\n'),
      configPath: CONF,
      environment: {},
      flags: {},
    })
    assert.equal(allowed.host, '192.0.2.10')
    assert.equal(
      resolve('[proxmox]\nPROXMOX_IP = 192.0.2.10\nUSER_FQ = a@pam\n', {'proxmox-ip': '10.0.0.9'}).host,
      '10.0.0.9',
    )
  })

  const bad: Array<[string, string, string]> = [
    ['PROXMOX_IP', 'not a host!', 'hostname'],
    ['PROXMOX_IP', '300.1.2.3', 'hostname'],
    ['PROXMOX_IP', '-lead.example', 'hostname'],
    ['PROXMOX_IP', 'fe80::1%eth0', 'hostname'],
    ['PROXMOX_IP', 'pve_1.lab', 'hostname'],
    ['PROXMOX_IP', 'a'.repeat(64) + '.example', 'hostname'],
    ['USER_FQ', 'automation', 'user@realm'],
    ['USER_FQ', 'automation@', 'user@realm'],
    ['USER_FQ', 'a b@pam', 'user@realm'],
    ['USER_FQ', 'a:b@pam', 'user@realm'],
    ['USER_FQ', 'a/b@pam', 'user@realm'],
    ['USER_FQ', 'ab@1realm', 'user@realm'],
    ['USER_FQ', '@pam', 'user@realm'],
    ['USER_FQ', `${'u'.repeat(61)}@pam`, 'user@realm'],
    ['TOKEN_NAME', '1token', 'token name'],
    ['TOKEN_NAME', 'tok en', 'token name'],
    ['TOKEN_NAME', 'x', 'token name'],
    ['TOKEN_NAME', 'tok!en', 'token name'],
    ['TLS_SKIP', 'maybe', 'boolean'],
    ['HTTP_PORT', '0', 'port'],
    ['HTTP_PORT', '65536', 'port'],
    ['PROXMOX_API_PORT', 'http', 'port'],
    ['PROXMOX_SSH_PORT', '-22', 'port'],
    ['PROXMOX_SSH_PORT', '22.5', 'port'],
    ['HTTP_BIND_ADDRESS', 'my-laptop', 'IP address'],
    ['FALLBACK_STORAGE_VM', 'local lvm', 'storage id'],
    ['FALLBACK_STORAGE_ISO', 'iso$', 'storage id'],
    ['FALLBACK_STORAGE_SNIPPETS', '-x', 'storage id'],
    ['FALLBACK_BRIDGE', 'vmbr$(reboot)', 'interface'],
    ['FALLBACK_BRIDGE', 'averyveryverylongname', 'interface'],
    ['PROXMOX_SSH_USERNAME', 'root user', 'user name'],
  ]
  for (const [key, value, what] of bad) {
    it(`${key} = ${JSON.stringify(value)} is exit 11 naming the key, where it came from, and the value`, () => {
      const text = `${MINIMAL.replace(new RegExp(`^${key} = .*\\n`, 'm'), '')}${key} = ${value}\n`
      const error = assertConfigError(() => resolve(text), key, JSON.stringify(value), `${CONF} line`, what)
      assert.equal(error.reason, 'invalid-value')
    })
  }

  it('names the flag or env var a bad value came from, and the alias used in the file', () => {
    assertConfigError(() => resolve(MINIMAL, {'api-port': '99999'}), 'PROXMOX_API_PORT', '--api-port', '"99999"')
    assertConfigError(
      () => resolve(MINIMAL, {}, {HYOPS_PROXMOX_TLS_SKIP: 'sometimes'}),
      'TLS_SKIP',
      'HYOPS_PROXMOX_TLS_SKIP',
      '"sometimes"',
    )
    assertConfigError(() => resolve(MINIMAL + 'port = 0\n'), 'PROXMOX_API_PORT', 'line 4 (port)')
  })

  it('a bad value overridden by a higher source is not an error', () => {
    assert.equal(resolve(MINIMAL + 'HTTP_PORT = nope\n', {'http-port': '9000'}).httpPort, 9000)
  })

  it('accepts the valid forms', () => {
    for (const host of [
      '10.0.0.1',
      '::1',
      'fd00::10',
      'pve',
      'pve-1.lab.example.',
      'PVE.Example.COM',
      '1host.example',
    ]) {
      assert.equal(resolve(MINIMAL, {'proxmox-ip': host}).host, host)
    }

    for (const userFq of ['a@pam', 'a.b-c_d@my-realm.1', 'first@last@pve', 'ünïcode@pve', `${'u'.repeat(60)}@pam`])
      assert.equal(resolve(MINIMAL, {'user-fq': userFq}).userFq, userFq)
    for (const [text, value] of [
      ['1', true],
      ['0', false],
      ['YES', true],
      ['No', false],
      ['True', true],
      ['false', false],
    ] as const) {
      assert.equal(resolve(MINIMAL, {'tls-skip': text}).tlsSkip, value)
    }

    for (const port of ['1', '65535', '8006']) assert.equal(resolve(MINIMAL, {'ssh-port': port}).sshPort, Number(port))
    assert.equal(resolve(MINIMAL, {'http-bind-address': '0.0.0.0'}).httpBindAddress, '0.0.0.0')
    assert.equal(resolve(MINIMAL, {'fallback-bridge': 'vnet.10'}).fallbackBridge, 'vnet.10')
  })

  it('expands ~ in paths; relative paths in the file resolve against its directory', () => {
    const inputs = resolve(
      MINIMAL + 'PROXMOX_SSH_KEY = keys/id\nTLS_CA_FILE = ~/ca.pem\nSSH_PUBLIC_KEY = ~/.ssh/x.pub\n',
    )
    assert.equal(inputs.sshKey, '/r/config/keys/id')
    assert.equal(inputs.tlsCaFile, join(homedir(), 'ca.pem'))
    assert.equal(inputs.sshPublicKey, join(homedir(), '.ssh/x.pub'))
    assert.equal(resolve(MINIMAL, {'ssh-key': '~/k'}).sshKey, join(homedir(), 'k'))
    assert.equal(resolve(MINIMAL, {'ssh-key': 'rel/k'}).sshKey, join(process.cwd(), 'rel/k'))
  })

  it('SSH_PUBLIC_KEY may be the key text itself', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0nZ2v8d9k3C0v0uJm0B8iQ7b8B0x1w2v3u4t5s6r7q ops@laptop'
    assert.equal(resolve(MINIMAL, {}, {HYOPS_PROXMOX_SSH_PUBLIC_KEY: key}).sshPublicKey, key)
  })

  it('describeProxmoxInputs lists the resolved keys by their UPPERCASE names', () => {
    const described = describeProxmoxInputs(resolve(MINIMAL))
    assert.equal(described.PROXMOX_IP, '10.1.2.3')
    assert.equal(described.TLS_SKIP, 'true')
    assert.equal(described.PROXMOX_API_PORT, '8006')
    assert.equal(described.HTTP_BIND_ADDRESS, undefined)
  })
})

describe('readTlsCaFile', () => {
  it('reads a PEM CA; a missing file or one without a certificate is exit 11 naming TLS_CA_FILE', async () => {
    const pem = await readTlsCaFile(join(PROJECT_ROOT, 'test/fixtures/tls/ca.pem'))
    assert.match(pem, /BEGIN CERTIFICATE/)
    const dir = await tempDir()
    await assertConfigErrorAsync(readTlsCaFile(join(dir, 'none.pem')), 'TLS_CA_FILE', 'none.pem')
    await writeFile(join(dir, 'junk.pem'), 'hello')
    await assertConfigErrorAsync(readTlsCaFile(join(dir, 'junk.pem')), 'TLS_CA_FILE', 'junk.pem', 'no PEM')
  })
})
