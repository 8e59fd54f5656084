import assert from 'node:assert/strict'
import {chmod, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {after, before, describe, it} from 'node:test'

import {HyopsError} from '../../../src/lib/errors.js'
import {resolveVaultPassword, runPasswordCommand} from '../../../src/lib/vault/password.js'
import type {VaultAccessOptions} from '../../../src/lib/vault/vault-access.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'

const vaultFile = '/nonexistent/vault/bootstrap.vault.env'
let dir: string
let fileA: string
let fileB: string

async function resolve(options: Partial<VaultAccessOptions>, creating = false) {
  const result = await resolveVaultPassword(
    {environment: {}, interactive: false, vaultFile, ...options},
    {creating, vaultFile},
  )
  return {password: result.bytes.toString('utf8'), source: result.source}
}

async function rejects21(
  promise: Promise<unknown>,
  message: RegExp,
  check?: (error: HyopsError) => void,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HyopsError, String(error))
    assert.equal(error.exitCode, 21)
    assert.match(error.line, message)
    check?.(error)
    return true
  })
}

describe('vault password sources', () => {
  before(async () => {
    dir = await tempDir()
    fileA = join(dir, 'a.pass')
    fileB = join(dir, 'b.pass')
    await writeFile(fileA, '  pass A with inner spaces \n\n')
    await writeFile(fileB, 'pass-B\r\n')
  })
  after(cleanupTempDirs)

  it('takes --vault-password-file first, stripped of surrounding whitespace as ansible does', async () => {
    const environment = {
      ANSIBLE_VAULT_PASSWORD_FILE: fileB,
      HYOPS_VAULT_PASSWORD_COMMAND: 'echo env-cmd',
      HYOPS_VAULT_PASSWORD_FILE: fileB,
    }
    assert.deepEqual(await resolve({environment, passwordCommand: 'echo cmd', passwordFile: fileA}), {
      password: 'pass A with inner spaces',
      source: '--vault-password-file',
    })
  })

  it('then --vault-password-command, less its trailing newline', async () => {
    const environment = {HYOPS_VAULT_PASSWORD_FILE: fileB}
    assert.deepEqual(await resolve({environment, passwordCommand: "printf 'from command \\n'"}), {
      password: 'from command ',
      source: '--vault-password-command',
    })
  })

  it(
    'then HYOPS_VAULT_PASSWORD_FILE, ANSIBLE_VAULT_PASSWORD_FILE, HYOPS_VAULT_PASSWORD_COMMAND ' + 'in that order',
    async () => {
      const all = {
        ANSIBLE_VAULT_PASSWORD_FILE: fileA,
        HYOPS_VAULT_PASSWORD_COMMAND: 'echo env-cmd',
        HYOPS_VAULT_PASSWORD_FILE: fileB,
      }
      assert.deepEqual(await resolve({environment: all}), {password: 'pass-B', source: 'HYOPS_VAULT_PASSWORD_FILE'})
      const {HYOPS_VAULT_PASSWORD_FILE: _, ...two} = all
      assert.deepEqual(await resolve({environment: two}), {
        password: 'pass A with inner spaces',
        source: 'ANSIBLE_VAULT_PASSWORD_FILE',
      })
      assert.deepEqual(await resolve({environment: {HYOPS_VAULT_PASSWORD_COMMAND: 'echo env-cmd'}}), {
        password: 'env-cmd',
        source: 'HYOPS_VAULT_PASSWORD_COMMAND',
      })
    },
  )

  it('without any source and without a terminal: exit 21 naming the flags and variables', async () => {
    await rejects21(
      resolve({}),
      new RegExp(
        'no vault password for \\/nonexistent\\/vault\\/bootstrap\\.vault\\.env.*' +
          '--vault-password-file.*--vault-password-command.*HYOPS_VAULT_PASSWORD_FILE',
      ),
    )
  })

  it('refuses a missing, an empty and an executable password file with exit 21', async () => {
    await rejects21(
      resolve({passwordFile: join(dir, 'missing')}),
      /cannot read the vault password file .*missing.*no such file/,
    )
    const empty = join(dir, 'empty.pass')
    await writeFile(empty, ' \n')
    await rejects21(resolve({passwordFile: empty}), /is empty/)
    const script = join(dir, 'script.pass')
    await writeFile(script, '#!/bin/sh\necho pw\n')
    await chmod(script, 0o755)
    await rejects21(
      resolve({environment: {ANSIBLE_VAULT_PASSWORD_FILE: script}}),
      /is a script.*--vault-password-command/,
    )
  })

  it('reports a failing command with its stderr, never its stdout', async () => {
    await rejects21(
      runPasswordCommand('echo the-secret-output; echo "vault locked" >&2; exit 3', {
        source: '--vault-password-command',
      }),
      /failed \(exit 3\): vault locked/,
      (error) => {
        assert.doesNotMatch(error.line, /the-secret-output/)
      },
    )
  })

  it('refuses a command that prints nothing, and gives it no stdin to read', async () => {
    await rejects21(runPasswordCommand('true', {source: 'x'}), /printed nothing/)
    await rejects21(runPasswordCommand('cat', {source: 'x'}), /printed nothing/)
    await rejects21(runPasswordCommand("printf '\\n\\r\\n'", {source: 'x'}), /printed nothing/)
  })

  it('kills a command that runs past the timeout, with what it started', async () => {
    const started = Date.now()
    await rejects21(runPasswordCommand('sleep 30; echo late', {source: 'x', timeoutMs: 300}), /did not finish within/)
    assert.ok(Date.now() - started < 5000, 'returned at the timeout')
  })

  it('does not wait for a background process the command left running', async () => {
    const started = Date.now()
    const password = await runPasswordCommand('(sleep 30 &); echo pw', {source: 'x', timeoutMs: 20_000})
    assert.equal(password.toString(), 'pw')
    assert.ok(Date.now() - started < 5000)
  })

  it('asks at a hidden prompt when interactive: once for an existing vault, twice for a new one', async () => {
    const once = await promptWith(['typed-pw\r'], false)
    assert.deepEqual(once.result, {password: 'typed-pw', source: 'prompt'})
    assert.match(once.screen, /Vault password for \/nonexistent/)
    assert.doesNotMatch(once.screen, /typed-pw/)

    const twice = await promptWith(['new-pw\r', 'new-pw\r'], true)
    assert.deepEqual(twice.result, {password: 'new-pw', source: 'prompt'})
    assert.match(twice.screen, /New vault password/)
    assert.match(twice.screen, /Repeat it/)
    assert.doesNotMatch(twice.screen, /new-pw/)
  })
})

/**
 * Drives the hidden prompt through streams: each answer is typed once the screen shows the
 * question it answers (`password for`, then `Repeat it`).
 */
async function promptWith(
  answers: string[],
  creating: boolean,
): Promise<{result: {password: string; source: string}; screen: string}> {
  const questions = ['password for', 'Repeat it']
  const input = new PassThrough()
  const output = new PassThrough()
  // Each prompt pipes its drawing into the output and ends it when answered (process.stderr is
  // never ended that way): keep it open for the next prompt.
  output.end = (() => output) as typeof output.end
  let screen = ''
  let sinceLastAnswer = ''
  let typed = 0
  output.on('data', (chunk: Buffer) => {
    screen += chunk.toString()
    sinceLastAnswer += chunk.toString()
    if (typed < answers.length && sinceLastAnswer.includes(questions[typed])) {
      const answer = answers[typed++]
      sinceLastAnswer = ''
      setTimeout(() => input.write(answer), 20)
    }
  })
  // The streams hold no handle: this keeps the test alive while the prompt waits, and bounds it.
  const guard = setTimeout(() => input.destroy(new Error('the prompt was never answered')), 10_000)
  try {
    const result = await resolve({interactive: true, promptStreams: {input, output}}, creating)
    return {result, screen}
  } finally {
    clearTimeout(guard)
  }
}
