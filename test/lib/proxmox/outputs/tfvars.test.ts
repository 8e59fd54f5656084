import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import type {ProxmoxInputs} from '../../../../src/lib/proxmox/types.js'
import {parseProxmoxUrl, proxmoxUrl} from '../../../../src/lib/proxmox/api/url.js'
import {
  parseTfvars,
  proxmoxTfvarsFrom,
  type ProxmoxTfvars,
  renderProxmoxTfvars,
  TfvarsParseError,
} from '../../../../src/lib/proxmox/outputs/tfvars.js'
import {hclString} from '../../../../src/lib/runtime/hcl-string.js'
import {cleanupTempDirs, tempDir} from '../../../helpers/cli.js'
import {PERMISSION_INPUTS} from '../bootstrap/helpers.js'

after(cleanupTempDirs)

const BASE: ProxmoxTfvars = {
  http_bind_address: '10.0.0.20',
  http_port: 8802,
  network_bridge: 'vmbr0',
  proxmox_node: 'pve1',
  proxmox_skip_tls: true,
  proxmox_ssh_key: '/home/ops/.ssh/id_ed25519',
  proxmox_ssh_username: 'root',
  proxmox_token_id: 'automation@pam!infra-token',
  proxmox_token_secret: '3f2a9c1e-0b7d-4e55-9a1f-6c0d2e8b7a41',
  proxmox_url: 'https://10.0.0.5:8006/api2/json',
  storage_iso: 'local',
  storage_pool: 'local-lvm',
  storage_snippets: 'local',
}

// Strings that HCL would read as something else unless escaped.
const TRICKY = [
  'plain',
  '',
  'back\\slash\\',
  'quote " inside',
  'line\nbreak',
  'cr\rlf\r\n',
  'tab\there',
  '${var.injected}',
  '%{ if true }x%{ endif }',
  '$${already}',
  '%%{already}',
  '$$ and %% and $ and % alone',
  '${',
  'a$',
  'a%',
  'ünïcødé ✓ 𝄞',
  'bell\u0007 del\u007f nul-free',
  '\\${not-escape}',
]

describe('renderProxmoxTfvars', () => {
  it('writes every required key, a bool, a number, quoted strings; ssh_public_key only when given', () => {
    const text = renderProxmoxTfvars(BASE)
    const parsed = parseTfvars(text)
    assert.deepEqual(parsed, {...BASE})
    assert.match(text, /^proxmox_skip_tls\s+= true$/m)
    assert.match(text, /^http_port\s+= 8802$/m)
    assert.match(text, /^proxmox_url\s+= "https:\/\/10\.0\.0\.5:8006\/api2\/json"$/m)
    assert.doesNotMatch(text, /ssh_public_key/)
    const withKey = parseTfvars(
      renderProxmoxTfvars({...BASE, proxmox_skip_tls: false, ssh_public_key: 'ssh-ed25519 AAAA ops@host'}),
    )
    assert.equal(withKey.ssh_public_key, 'ssh-ed25519 AAAA ops@host')
    assert.equal(withKey.proxmox_skip_tls, false)
    for (const name of [
      'proxmox_url',
      'proxmox_token_id',
      'proxmox_token_secret',
      'proxmox_node',
      'proxmox_skip_tls',
      'proxmox_ssh_username',
      'proxmox_ssh_key',
      'storage_pool',
      'storage_iso',
      'storage_snippets',
      'network_bridge',
      'http_bind_address',
      'http_port',
    ]) {
      assert.ok(Object.hasOwn(parsed, name), name)
    }
  })

  it('escapes \\ " newlines and template sequences; every string round-trips', () => {
    assert.equal(hclString('a\\b"c\nd\re\tf'), '"a\\\\b\\"c\\nd\\re\\tf"')
    assert.equal(hclString('${x} %{y}'), '"$${x} %%{y}"')
    assert.equal(hclString('$${x}'), '"$$${x}"')
    assert.equal(hclString('cost $5 or 5%'), '"cost $5 or 5%"')
    for (const value of TRICKY) {
      const text = renderProxmoxTfvars({...BASE, network_bridge: value, proxmox_token_secret: value})
      assert.doesNotMatch(
        text
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .join('\n'),
        /(^|[^$])\$\{|(^|[^%])%\{/,
        `no live template in ${JSON.stringify(value)}`,
      )
      const parsed = parseTfvars(text)
      assert.equal(parsed.proxmox_token_secret, value, JSON.stringify(value))
      assert.equal(parsed.network_bridge, value)
      assert.equal(
        text.split('\n').filter((line) => line.startsWith('proxmox_token_secret')).length,
        1,
        'one line per value',
      )
    }
  })

  it('refuses a number that HCL cannot hold', () => {
    assert.throws(() => renderProxmoxTfvars({...BASE, http_port: Number.NaN}), TypeError)
  })

  const terraform = spawnSync('terraform', ['version'], {encoding: 'utf8'}).status === 0
  it(
    'terraform reads the file to the same values and finds it formatted (when terraform is installed)',
    {skip: terraform ? false : 'terraform is not installed'},
    async () => {
      const dir = await tempDir()
      const values = {...BASE, network_bridge: TRICKY.join('|'), ssh_public_key: 'ssh-ed25519 AAAA ${x} %{y}'}
      const names = Object.keys(values) as Array<keyof ProxmoxTfvars>
      const decl = names.map(
        (name) =>
          `variable "${name}" { type = ` +
          (typeof values[name] === 'boolean' ? 'bool' : typeof values[name] === 'number' ? 'number' : 'string') +
          ' }',
      )
      await writeFile(join(dir, 'main.tf'), decl.join('\n') + '\n')
      await writeFile(join(dir, 'proxmox.credentials.tfvars'), renderProxmoxTfvars(values))
      const env = {...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null', TF_IN_AUTOMATION: '1'}
      // base64 keeps terraform's own string quoting out of the way.
      const expression = `base64encode(jsonencode({${names.map((name) => `${name} = var.${name}`).join(', ')}}))\n`
      const run = spawnSync('terraform', ['console', '-var-file=proxmox.credentials.tfvars'], {
        cwd: dir,
        encoding: 'utf8',
        env,
        input: expression,
        timeout: 60_000,
      })
      assert.equal(run.status, 0, run.stderr)
      assert.deepEqual(
        JSON.parse(Buffer.from(JSON.parse(run.stdout.trim()) as string, 'base64').toString('utf8')),
        values,
      )
      const fmt = spawnSync('terraform', ['fmt', '-check', '-diff', 'proxmox.credentials.tfvars'], {
        cwd: dir,
        encoding: 'utf8',
        env,
        timeout: 60_000,
      })
      assert.equal(fmt.status, 0, fmt.stdout + fmt.stderr)
    },
  )
})

describe('parseTfvars', () => {
  it('reads the Python hyops layout with comments and blank lines', () => {
    const text = [
      '# <sensitive> Do not commit.',
      '// another comment',
      '',
      'proxmox_url          = "https://10.0.0.5:8006/api2/json"',
      'proxmox_skip_tls     = true # trailing comment',
      'http_port         = 8802',
      'ratio = -1.5e2',
      'ssh_public_key = ""',
      '  indented = "x"  ',
    ].join('\r\n')
    assert.deepEqual(parseTfvars(text), {
      http_port: 8802,
      indented: 'x',
      proxmox_skip_tls: true,
      proxmox_url: 'https://10.0.0.5:8006/api2/json',
      ratio: -150,
      ssh_public_key: '',
    })
    assert.deepEqual(parseTfvars('a = "\\u00e9\\U0001F600"'), {a: 'é😀'})
  })

  const garbage: Array<[string, number]> = [
    ['this is not hcl', 1],
    ['a = "unterminated', 1],
    ['\na = "${var.x}"', 2],
    ['a = "%{ if x }"', 1],
    ['a = [1, 2]', 1],
    ['a = <<EOT', 1],
    ['a = "x" "y"', 1],
    ['a = truex', 1],
    ['a = 12abc', 1],
    ['a = "bad \\q escape"', 1],
    ['a = 1\na = 2', 2],
    ['a = var.x', 1],
    ['"a" = 1', 1],
  ]
  for (const [text, line] of garbage) {
    it(`throws TfvarsParseError on ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseTfvars(text),
        (error: unknown) => error instanceof TfvarsParseError && error.line === line,
      )
    })
  }

  it('never puts a value into its error message', () => {
    try {
      parseTfvars('proxmox_token_secret = "s3cr3t-value ${oops}"')
      assert.fail('should throw')
    } catch (error) {
      assert.ok(error instanceof TfvarsParseError)
      assert.doesNotMatch(error.message, /s3cr3t/)
    }
  })

  it('does not let a __proto__ name reach the prototype', () => {
    const parsed = parseTfvars('__proto__ = "x"\nb = 1')
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype)
    assert.equal(parsed.b, 1)
  })
})

describe('proxmox URLs', () => {
  it('builds https://<ip>:<port>/api2/json, IPv6 in brackets', () => {
    assert.equal(proxmoxUrl('10.0.0.5', 8006), 'https://10.0.0.5:8006/api2/json')
    assert.equal(proxmoxUrl('fd00::5', 443), 'https://[fd00::5]:443/api2/json')
    assert.equal(proxmoxUrl('pve.lab', 8006), 'https://pve.lab:8006/api2/json')
  })

  it('reads host and port back', () => {
    assert.deepEqual(parseProxmoxUrl('https://10.0.0.5:8006/api2/json'), {host: '10.0.0.5', port: 8006})
    assert.deepEqual(parseProxmoxUrl('https://[fd00::5]:8443/api2/json'), {host: 'fd00::5', port: 8443})
    assert.deepEqual(parseProxmoxUrl('https://pve.lab/api2/json'), {host: 'pve.lab', port: 443})
    assert.equal(parseProxmoxUrl('not a url'), undefined)
    assert.equal(parseProxmoxUrl('ftp://x/'), undefined)
  })
})

describe('proxmoxTfvarsFrom', () => {
  it('assembles the values from inputs and discovery', () => {
    const inputs = {
      apiPort: 8443,
      fallbackBridge: 'vmbr0',
      fallbackStorageIso: 'local',
      fallbackStorageSnippets: 'local',
      fallbackStorageVm: 'local-lvm',
      host: '10.0.0.5',
      httpPort: 8802,
      sources: {},
      sshKey: '/k/id',
      sshPort: 22,
      sshUsername: 'root',
      tlsSkip: false,
      tokenId: 'a@pam!t1',
      tokenName: 't1',
      userFq: 'a@pam',
      ...PERMISSION_INPUTS,
    } satisfies ProxmoxInputs
    const runtime = {
      apiIp: '10.0.0.6',
      bridge: 'vmbr1',
      bridgeSource: 'detected',
      node: 'pve2',
      storageIso: 'iso',
      storageIsoSource: 'detected',
      storageSnippets: 'snip',
      storageSnippetsSource: 'fallback',
      storageVm: 'zfs',
      storageVmSource: 'detected',
    } as const
    const values = proxmoxTfvarsFrom({detectedHttpBindAddress: '10.0.0.99', inputs, runtime, tokenSecret: 'sec'})
    assert.deepEqual(values, {
      http_bind_address: '10.0.0.99',
      http_port: 8802,
      network_bridge: 'vmbr1',
      proxmox_node: 'pve2',
      proxmox_skip_tls: false,
      proxmox_ssh_key: '/k/id',
      proxmox_ssh_username: 'root',
      proxmox_token_id: 'a@pam!t1',
      proxmox_token_secret: 'sec',
      proxmox_url: 'https://10.0.0.6:8443/api2/json',
      storage_iso: 'iso',
      storage_pool: 'zfs',
      storage_snippets: 'snip',
    })
    assert.equal(
      proxmoxTfvarsFrom({
        inputs: {...inputs, httpBindAddress: '0.0.0.0'},
        runtime,
        sshPublicKey: 'ssh-ed25519 K',
        tokenSecret: 's',
      }).http_bind_address,
      '0.0.0.0',
    )
    assert.equal(
      proxmoxTfvarsFrom({inputs, runtime, sshPublicKey: 'ssh-ed25519 K', tokenSecret: 's'}).ssh_public_key,
      'ssh-ed25519 K',
    )
    assert.equal(proxmoxTfvarsFrom({inputs, runtime, tokenSecret: 's'}).http_bind_address, '')
  })
})

describe('the provider account in the tfvars', () => {
  it('names the account, its key file and the nodes as a one-line map that parses back', () => {
    const nodes = {'pve-2': '10.0.0.12', pve1: '10.0.0.11'}
    const text = renderProxmoxTfvars({
      ...BASE,
      proxmox_ssh_key: '/root/env/credentials/proxmox-provider-ssh.key',
      proxmox_ssh_nodes: nodes,
      proxmox_ssh_username: 'terraform',
    })
    assert.match(text, /^proxmox_ssh_nodes {4}= \{ "pve-2" = "10\.0\.0\.12", "pve1" = "10\.0\.0\.11" \}$/m)
    const parsed = parseTfvars(text)
    assert.deepEqual(parsed.proxmox_ssh_nodes, nodes)
    assert.equal(parsed.proxmox_ssh_username, 'terraform')
    assert.throws(() => parseTfvars('proxmox_ssh_nodes = { "a" = 1 }\n'), TfvarsParseError)
    assert.throws(() => parseTfvars('proxmox_ssh_nodes = { "a" = "x"\n'), TfvarsParseError)
  })
})
