import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {formatEnvFile, parseEnvFile} from '../../../src/lib/vault/env-file.js'
import {cleanupTempDirs, runCli, tempDir} from '../../helpers/cli.js'
import {requireTool} from '../../helpers/tools.js'
import {TRICKY_VALUES} from '../../fixtures/vault/tricky-values.js'
import {makeVaultRoot, vaultSet, type VaultRoot} from '../../fixtures/vault/vault-root.js'

// Interop with the real ansible-vault (Debian's ansible-core, installed by .ci/run). It takes
// about a second to start, so this file calls it four times in all. A missing ansible-vault
// fails these tests: CI installs it, and a skipped interop test would prove nothing.
let home: string

/** Runs ansible-vault with a clean environment and returns its stdout; fails on any error. */
function ansibleVault(args: string[]): string {
  requireTool('ansible-vault', 'ansible-core')
  const result = spawnSync('ansible-vault', args, {
    encoding: 'utf8',
    env: {
      ANSIBLE_NOCOLOR: '1',
      HOME: home,
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    },
  })
  if (result.error) assert.fail(`ansible-vault cannot run (${result.error.message}); install Debian's ansible-core`)
  assert.equal(result.status, 0, `ansible-vault ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout
}

/** How an operator's older vault may look: comments, bare and single-quoted values, escapes. */
const OPERATOR_ENV_FILE = [
  '# written by hand, then ansible-vault encrypt',
  `BACKSLASHES=${JSON.stringify(TRICKY_VALUES.BACKSLASHES)}`,
  'BARE=plain-value',
  'SINGLE=\'single "quoted" \\n stays\'',
  `MULTI_LINE="line one\\nline two\\r\\nline three\\n"`,
  'EQUALS="a=b==c"',
  `QUOTES="say \\"hi\\" and 'bye'"`,
  'UNICODE="grüße ✓ 🔐 日本"',
  '',
].join('\n')

describe('ansible-vault interop', () => {
  let at: VaultRoot
  before(async () => {
    home = await tempDir('hyops-ansible-home-')
    at = await makeVaultRoot('interop pässword ✓')
  })
  after(cleanupTempDirs)

  it('a vault written by hyops vault set opens with ansible-vault view, same keys and values', async () => {
    for (const [key, value] of Object.entries(TRICKY_VALUES)) {
      const run = await vaultSet(at, key, value + '\n')
      assert.equal(run.code, 0, run.stderr)
    }

    const plaintext = ansibleVault(['view', '--vault-password-file', at.passwordFile, at.vaultFile])
    assert.equal(plaintext, formatEnvFile(TRICKY_VALUES))
    assert.deepEqual(parseEnvFile(plaintext).values, TRICKY_VALUES)
  })

  it('a 1.1 file made by ansible-vault encrypt reads with hyops vault get and keys', async () => {
    const dir = await tempDir()
    const file = join(dir, 'operator.vault.env')
    await writeFile(file, OPERATOR_ENV_FILE)
    ansibleVault(['encrypt', '--vault-password-file', at.passwordFile, file])
    assert.ok((await readFile(file, 'utf8')).startsWith('$ANSIBLE_VAULT;1.1;AES256\n'))
    const flags = ['--vault-file', file, '--vault-password-file', at.passwordFile]
    const keys = await runCli(['vault', 'keys', ...flags])
    assert.equal(keys.stdout, 'BACKSLASHES\nBARE\nEQUALS\nMULTI_LINE\nQUOTES\nSINGLE\nUNICODE\n', keys.stderr)
    const expected: Record<string, string> = {
      ...TRICKY_VALUES,
      BARE: 'plain-value',
      SINGLE: 'single "quoted" \\n stays',
    }
    for (const key of ['BACKSLASHES', 'BARE', 'MULTI_LINE', 'QUOTES', 'SINGLE', 'UNICODE']) {
      const run = await runCli(['vault', 'get', key, ...flags])
      assert.equal(run.code, 0, run.stderr)
      assert.equal(run.stdout, expected[key], key)
    }
  })

  it(
    'a 1.2 file made with --vault-id label@file reads here, and stays readable by ansible ' + 'after hyops vault set',
    async () => {
      const dir = await tempDir()
      const file = join(dir, 'labelled.vault.env')
      await writeFile(file, 'PROXMOX_TOKEN_SECRET="11111111-2222-3333-4444-555555555555"\n')
      ansibleVault(['encrypt', '--vault-id', `prod@${at.passwordFile}`, '--encrypt-vault-id', 'prod', file])
      assert.ok((await readFile(file, 'utf8')).startsWith('$ANSIBLE_VAULT;1.2;AES256;prod\n'))
      const flags = ['--vault-file', file, '--vault-password-file', at.passwordFile]
      const get = await runCli(['vault', 'get', 'PROXMOX_TOKEN_SECRET', ...flags])
      assert.equal(get.code, 0, get.stderr)
      assert.equal(get.stdout, '11111111-2222-3333-4444-555555555555')

      const set = await runCli(['vault', 'set', 'ADDED', ...flags], {input: 'by hyops = "yes"\n'})
      assert.equal(set.code, 0, set.stderr)
      assert.ok((await readFile(file, 'utf8')).startsWith('$ANSIBLE_VAULT;1.2;AES256;prod\n'), 'the label is kept')
      const plaintext = ansibleVault(['view', '--vault-id', `prod@${at.passwordFile}`, file])
      assert.deepEqual(parseEnvFile(plaintext).values, {
        ADDED: 'by hyops = "yes"',
        PROXMOX_TOKEN_SECRET: '11111111-2222-3333-4444-555555555555',
      })
    },
  )
})
