import assert from 'node:assert/strict'
import {mkdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {after, describe, it} from 'node:test'

import {ExitCode, HyopsError, writeConfigTemplate} from 'hyops'

import {DEFAULT_HCLOUD_API, hetznerConfigTemplate, loadHetznerConfig, parseHetznerConfig} from '../../src/lib/config.js'
import {cleanupTempDirs, tempDir} from '../helpers/hyops-cli.js'

after(cleanupTempDirs)

const FILE = '/r/config/hetzner.conf'
const parse = (text: string) => parseHetznerConfig(text, FILE, '/r')

function assertConfigError(text: string, pattern: RegExp): void {
  assert.throws(
    () => parse(text),
    (error: unknown) =>
      error instanceof HyopsError && error.exitCode === ExitCode.ConfigInvalid && pattern.test(error.message),
  )
}

describe('hetzner.conf', () => {
  it('defaults everything when the file is empty or only comments', () => {
    for (const text of ['', '# nothing\n\n   \n']) {
      assert.deepEqual(parse(text), {
        apiUrl: DEFAULT_HCLOUD_API,
        caFile: undefined,
        file: FILE,
        tfvarsOut: undefined,
        token: undefined,
        unknownKeys: [],
      })
    }
  })

  it('reads KEY=value lines: quotes, export prefix, CRLF, BOM, spaces around =', () => {
    const config = parse(
      '\uFEFF# comment\r\nexport HCLOUD_API = "https://api.example.test/base/"\r\n' +
        "HCLOUD_TFVARS_OUT='out/h.tfvars'\r\nHCLOUD_CA_FILE=~/ca.pem\r\nHCLOUD_TOKEN=tok\r\n" +
        'OTHER=1\r\n',
    )
    assert.equal(config.apiUrl, 'https://api.example.test/base')
    assert.equal(config.tfvarsOut, '/r/out/h.tfvars')
    assert.match(config.caFile ?? '', /\/ca\.pem$/)
    assert.ok(!config.caFile?.startsWith('~'))
    assert.equal(config.token, 'tok')
    assert.deepEqual(config.unknownKeys, ['OTHER'])
  })

  it('keeps absolute paths and treats an empty value as unset', () => {
    const config = parse('HCLOUD_TFVARS_OUT=/elsewhere/x.tfvars\nHCLOUD_API=\n')
    assert.equal(config.tfvarsOut, '/elsewhere/x.tfvars')
    assert.equal(config.apiUrl, DEFAULT_HCLOUD_API)
  })

  it("refuses malformed lines and duplicates with the SDK's exit-11 messages naming file and line", () => {
    assertConfigError(
      'HCLOUD_API=https://a.test\njust words\n',
      /^config \/r\/config\/hetzner\.conf line 2: "just words" is not a KEY = value or # comment line$/,
    )
    assertConfigError('=value\n', /hetzner\.conf line 1: "=value" is not a KEY = value/)
    assertConfigError(
      '[hetzner]\nHCLOUD_API=https://a.test\n',
      /hetzner\.conf line 1: "\[hetzner\]" is not a KEY = value/,
    )
    assertConfigError(
      'HCLOUD_API=https://a.test\n\nhcloud_api=https://b.test\n',
      /hetzner\.conf line 3: HCLOUD_API is set again \(as hcloud_api; first on line 1 as HCLOUD_API\)/,
    )
    assert.deepEqual(parse('1KEY=x\n').unknownKeys, ['1KEY'], 'a key hetzner does not know is a warning')
  })

  it('accepts only a plain https base URL for HCLOUD_API, naming the key, value and line', () => {
    assertConfigError(
      'HCLOUD_API=http://api.hetzner.cloud\n',
      /^HCLOUD_API "http:\/\/api\.hetzner\.cloud" \(\/r\/config\/hetzner\.conf line 1\) is not an https:\/\/ URL$/,
    )
    assertConfigError('HCLOUD_API=not a url\n', /is not a URL/)
    assertConfigError('HCLOUD_API=https://u:p@api.test\n', /plain base URL/)
    assertConfigError('HCLOUD_API=https://api.test/?x=1\n', /plain base URL/)
  })

  it('flags win over HYOPS_HETZNER_* variables, which win over the file', () => {
    const text = 'HCLOUD_API=https://file.test\nHCLOUD_TFVARS_OUT=from-file.tfvars\n'
    const environment = {HYOPS_HETZNER_HCLOUD_API: 'https://env.test', HYOPS_HETZNER_HCLOUD_TFVARS_OUT: 'env.tfvars'}
    const fromEnv = parseHetznerConfig(text, FILE, '/r', {environment})
    assert.equal(fromEnv.apiUrl, 'https://env.test')
    assert.equal(fromEnv.tfvarsOut, resolve('env.tfvars'), 'a relative path from a variable is taken from the cwd')
    const fromFlag = parseHetznerConfig(text, FILE, '/r', {environment, flags: {'hcloud-api': 'https://flag.test'}})
    assert.equal(fromFlag.apiUrl, 'https://flag.test')
    assert.throws(
      () => parseHetznerConfig(text, FILE, '/r', {flags: {'hcloud-api': 'http://flag.test'}}),
      /HCLOUD_API "http:\/\/flag\.test" \(--hcloud-api\) is not an https:\/\/ URL/,
    )
    assert.equal(
      parseHetznerConfig('HCLOUD_TOKEN=tok\n', FILE, '/r', {environment: {HYOPS_HETZNER_HCLOUD_TOKEN: 'x'}}).token,
      'tok',
      'the token key is read from the file only',
    )
  })

  it('loads a file, returns undefined for a missing one, and refuses a directory with exit 11', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'h.conf'), 'HCLOUD_API=https://api.test\n')
    assert.equal((await loadHetznerConfig(join(dir, 'h.conf'), dir))?.apiUrl, 'https://api.test')
    assert.equal(await loadHetznerConfig(join(dir, 'missing.conf'), dir), undefined)
    await mkdir(join(dir, 'd.conf'))
    await assert.rejects(
      loadHetznerConfig(join(dir, 'd.conf'), dir),
      (error: unknown) => error instanceof HyopsError && error.exitCode === 11 && /is a directory/.test(error.message),
    )
  })

  it('writes a template (0600, parent 0700) that parses to the defaults and holds no token', async () => {
    const dir = await tempDir()
    const file = join(dir, 'new', 'hetzner.conf')
    assert.equal(await writeConfigTemplate(file, hetznerConfigTemplate()), 'written')
    assert.equal(await readFile(file, 'utf8'), hetznerConfigTemplate())
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.equal((await stat(join(dir, 'new'))).mode & 0o777, 0o700)
    const parsed = parseHetznerConfig(hetznerConfigTemplate(), file, dir)
    assert.equal(parsed.apiUrl, DEFAULT_HCLOUD_API)
    assert.equal(parsed.token, undefined)
    assert.deepEqual(parsed.unknownKeys, [])
    await writeFile(file, 'HCLOUD_API=https://x.example\n')
    assert.equal(
      await writeConfigTemplate(file, hetznerConfigTemplate()),
      'kept',
      'an existing config is never overwritten',
    )
    assert.equal(await readFile(file, 'utf8'), 'HCLOUD_API=https://x.example\n')
  })
})
