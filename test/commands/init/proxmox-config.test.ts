// hyops init proxmox before any remote work: the config template rule (acceptance 7) and bad
// inputs (acceptance 9). No host is needed: each run stops before SSH. The runs of a test
// are independent, so they run concurrently.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {after, describe, it} from 'node:test'

import {renderProxmoxConfigTemplate} from '../../../src/lib/proxmox/config/template.js'
import {CLI, cleanupTempDirs, PROJECT_ROOT, tempDir} from '../../helpers/cli.js'
import {fileBytes, initProxmox, prepareRoot, type SimEndpoint} from '../../helpers/proxmox-env.js'

const NO_STACK = /\n\s+at \S/
// No host answers here: a run that got as far as SSH would fail with exit 20, not 10 or 11.
const NOWHERE: SimEndpoint = {
  apiPort: 9,
  clientKey: {privateKeyPath: '/nonexistent/id_ed25519'},
  host: '127.0.0.1',
  sshPort: 9,
}

after(cleanupTempDirs)

describe('hyops init proxmox: the config template (acceptance 7)', () => {
  it(
    'missing config: writes the template, exits 10, says what to edit and what to re-run; ' + 'writes no marker',
    async () => {
      const at = await prepareRoot(NOWHERE, {noConfig: true})
      const run = await initProxmox(at)
      assert.equal(run.code, 10, run.stderr)
      assert.doesNotMatch(run.stderr, NO_STACK)
      assert.doesNotMatch(run.stdout + run.stderr, /Error:/, 'the planned stop is not reported as an error')
      assert.equal(await readFile(at.configFile, 'utf8'), renderProxmoxConfigTemplate())
      assert.ok(run.stdout.includes(at.configFile), 'stdout names the file to edit')
      assert.match(run.stdout, /PROXMOX_IP/, 'stdout says which key to set')
      assert.match(run.stdout, /re-run: hyops init proxmox --root \S+/i, 'stdout says what to re-run')
      assert.equal(await fileBytes(at.markerFile), undefined)
      assert.equal(await fileBytes(at.credentialsFile), undefined)
    },
  )

  it(
    'an existing config is never overwritten without --force: the template, an edited file, a ' +
      'broken one stay byte for byte',
    async () => {
      const template = await prepareRoot(NOWHERE, {noConfig: true})
      assert.equal((await initProxmox(template)).code, 10)
      const templateBytes = await fileBytes(template.configFile)
      const edited = await prepareRoot(NOWHERE, {extraConfig: {TOKEN_NAME: 'not valid!'}})
      const editedBytes = await fileBytes(edited.configFile)
      const broken = await prepareRoot(NOWHERE, {configText: 'PROXMOX_IP = 10.0.0.1\n[proxmox\n'})
      const brokenBytes = await fileBytes(broken.configFile)

      const [again, bad, garbled] = await Promise.all([initProxmox(template), initProxmox(edited), initProxmox(broken)])
      assert.equal(again.code, 11, 'the untouched template holds the placeholder host')
      assert.match(again.stderr, /PROXMOX_IP/)
      assert.equal(bad.code, 11)
      assert.equal(garbled.code, 11)
      assert.deepEqual(await fileBytes(template.configFile), templateBytes)
      assert.deepEqual(await fileBytes(edited.configFile), editedBytes)
      assert.deepEqual(await fileBytes(broken.configFile), brokenBytes)
    },
  )

  it('--dry-run with no config: exit 10 and no template written', async () => {
    const at = await prepareRoot(NOWHERE, {noConfig: true})
    const run = await initProxmox(at, ['--dry-run'])
    assert.equal(run.code, 10, run.stderr)
    assert.equal(await fileBytes(at.configFile), undefined)
  })
})

describe('hyops init proxmox: bad inputs exit 11 naming the key (acceptance 9)', () => {
  const cases: Array<{
    name: string
    key: RegExp
    config?: string
    extra?: Record<string, string | undefined>
    env?: Record<string, string>
    args?: string[]
  }> = [
    {
      config: '[pve]\nPROXMOX_IP = 10.0.0.5\nUSER_FQ = automation@pam\n',
      key: /has no \[proxmox\] section/,
      name: 'no [proxmox] section',
    },
    {
      extra: {PROXMOX_SSH_PORT: '70000'},
      key: /PROXMOX_SSH_PORT "70000" \(\S+proxmox\.conf line \d+\) is not a port/,
      name: 'a port out of range',
    },
    {
      extra: {PROXMOX_API_PORT: 'https'},
      key: /PROXMOX_API_PORT "https" .* is not a port/,
      name: 'a port that is not a number',
    },
    {extra: {TLS_SKIP: 'maybe'}, key: /TLS_SKIP "maybe" .* is not a boolean/, name: 'a bad bool'},
    {extra: {USER_FQ: 'automation'}, key: /USER_FQ "automation" .* user@realm/, name: 'USER_FQ without a realm'},
    {extra: {TOKEN_NAME: '9token'}, key: /TOKEN_NAME "9token" .* token name/, name: 'an invalid token name'},
    {
      extra: {PROXMOX_IP: '192.0.2.10'},
      key: /PROXMOX_IP is still the template's placeholder 192\.0\.2\.10/,
      name: "the template's placeholder host",
    },
    {
      extra: {PROXMOX_IP: 'pve.example.local'},
      key: /PROXMOX_IP .*placeholder pve\.example\.local/,
      name: "the Python hyops template's placeholder host",
    },
    {extra: {PROXMOX_IP: undefined}, key: /PROXMOX_IP is not set/, name: 'a required key missing'},
    {
      env: {HYOPS_PROXMOX_HTTP_PORT: '0'},
      key: /HTTP_PORT "0" \(HYOPS_PROXMOX_HTTP_PORT\) is not a port/,
      name: 'a bad port from the environment',
    },
    {
      args: ['--tls-skip', 'sometimes'],
      key: /TLS_SKIP "sometimes" \(--tls-skip\) is not a boolean/,
      name: 'a bad bool from a flag',
    },
  ]

  it('each bad input: exit 11, one line naming the key, no stack trace, nothing written', async () => {
    const runs = await Promise.all(
      cases.map(async (c) => {
        const at = await prepareRoot(NOWHERE, {configText: c.config, extraConfig: c.extra})
        const config = await fileBytes(at.configFile)
        const run = await initProxmox(at, c.args ?? [], c.env ?? {})
        return {at, c, config, run}
      }),
    )
    for (const {at, c, config, run} of runs) {
      assert.equal(run.code, 11, `${c.name}: ${run.stderr}`)
      const error = run.stderr.split('\n').filter((line) => line.startsWith('Error:'))
      assert.equal(error.length, 1, `${c.name}: one error line: ${run.stderr}`)
      assert.match(error[0], c.key, c.name)
      assert.doesNotMatch(run.stderr, NO_STACK, c.name)
      assert.deepEqual(await fileBytes(at.configFile), config, `${c.name}: config untouched`)
      assert.equal(await fileBytes(at.markerFile), undefined, c.name)
      assert.equal(await fileBytes(at.vaultFile), undefined, c.name)
    }
  })
})

describe('hyops init proxmox: startup', () => {
  // A module resolve hook logs every module URL the process loads (ESM imports, and the CJS
  // packages they import), so the test sees what startup really pulls in.
  async function loadedModules(args: string[]): Promise<{code: number | null; urls: string[]}> {
    const dir = await tempDir('hyops-resolve-')
    const log = join(dir, 'resolved.log')
    await writeFile(log, '')
    await writeFile(
      join(dir, 'hooks.mjs'),
      "import {appendFileSync} from 'node:fs'\nlet log\n" +
        'export function initialize(data) { log = data.log }\n' +
        'export async function resolve(specifier, context, next) {\n' +
        '  const result = await next(specifier, context)\n' +
        "  appendFileSync(log, result.url + '\\n')\n  return result\n}\n",
    )
    await writeFile(
      join(dir, 'register.mjs'),
      `import {register} from 'node:module'\nregister('./hooks.mjs', import.meta.url, {data: ` +
        `{log: ${JSON.stringify(log)}}})\n`,
    )
    const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, ...args], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: {HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin', RESOLVE_LOG: log},
    })
    return {code: run.status, urls: (await readFile(log, 'utf8')).split('\n').filter(Boolean)}
  }

  it('axios is not loaded at startup, only once validation is near (preloadProxmoxValidation)', async () => {
    const at = await prepareRoot(NOWHERE, {extraConfig: {TLS_SKIP: 'maybe'}})
    const cli = await loadedModules([
      CLI,
      'init',
      'proxmox',
      '--root',
      at.root,
      '--vault-password-file',
      at.passwordFile,
    ])
    assert.equal(cli.code, 11)
    assert.ok(
      cli.urls.some((url) => url.endsWith('/dist/commands/init/proxmox.js')),
      'the hook saw the command load',
    )
    assert.ok(
      cli.urls.some((url) => url.includes('/node_modules/node-ssh/')),
      'and its static imports',
    )
    assert.deepEqual(
      cli.urls.filter((url) => url.includes('/node_modules/axios/')),
      [],
      'no axios before validation',
    )

    const validation = pathToFileURL(join(PROJECT_ROOT, 'dist', 'lib', 'proxmox', 'api', 'validation.js')).href
    // Waits (up to 5 s) until the hook has seen axios, then exits.
    const script = [
      `const {readFileSync} = await import('node:fs')`,
      `const m = await import(${JSON.stringify(validation)})`,
      'm.preloadProxmoxValidation()',
      'for (let i = 0; i < 250 && !readFileSync(process.env.RESOLVE_LOG, ' +
        '"utf8").includes("/node_modules/axios/"); i++) await new Promise((resolve) => ' +
        'setTimeout(resolve, 20))',
    ].join('\n')
    const preload = await loadedModules(['--input-type=module', '-e', script])
    assert.equal(preload.code, 0)
    assert.ok(
      preload.urls.some((url) => url.includes('/node_modules/axios/')),
      'preloading loads axios',
    )
  })
})
