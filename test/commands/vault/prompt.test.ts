import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {decryptVault} from '../../../src/lib/vault/ansible-vault.js'
import {parseEnvFile} from '../../../src/lib/vault/env-file.js'
import {CLI, cleanupTempDirs, tempDir} from '../../helpers/cli.js'

after(cleanupTempDirs)

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`) and types each answer once its
 * question is on the screen. Returns the exit code and everything the terminal showed.
 */
async function onTerminal(
  args: string[],
  dialogue: Array<[question: string, answer: string]>,
): Promise<{code: number | null; screen: string}> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`
  const command = [process.execPath, CLI, ...args].map((word) => quote(word)).join(' ')
  const env = {
    HOME: await tempDir('hyops-home-'),
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TERM: 'xterm',
  }
  const child = spawn('script', ['-qfec', command, '/dev/null'], {env, stdio: ['pipe', 'pipe', 'pipe']})
  let screen = ''
  let sinceAnswer = ''
  let step = 0
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    screen += text
    sinceAnswer += text
    if (step < dialogue.length && sinceAnswer.includes(dialogue[step][0])) {
      const answer = dialogue[step++][1]
      sinceAnswer = ''
      setTimeout(() => child.stdin.write(answer), 50)
    }
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  assert.equal(step, dialogue.length, `not every question was asked; the screen showed: ${JSON.stringify(screen)}`)
  return {code, screen}
}

describe('hyops vault on a terminal', () => {
  it('set asks the value hidden, then the new vault password twice; get asks the password once', async () => {
    const root = join(await tempDir(), 'root')
    const created = await onTerminal(
      ['vault', 'set', 'TYPED_KEY', '--root', root],
      [
        ['Value of TYPED_KEY', 'typed hidden value\r'],
        ['New vault password', 'terminal pw\r'],
        ['Repeat it', 'terminal pw\r'],
      ],
    )
    assert.equal(created.code, 0, created.screen)
    assert.doesNotMatch(created.screen, /typed hidden value|terminal pw/, 'nothing typed is echoed')
    const vaultFile = join(root, 'vault', 'bootstrap.vault.env')
    const {plaintext} = await decryptVault(await readFile(vaultFile), 'terminal pw')
    assert.deepEqual(parseEnvFile(plaintext.toString('utf8')).values, {TYPED_KEY: 'typed hidden value'})

    const read = await onTerminal(
      ['vault', 'get', 'TYPED_KEY', '--root', root],
      [['Vault password for', 'terminal pw\r']],
    )
    assert.equal(read.code, 0, read.screen)
    assert.match(read.screen, /typed hidden value/)
    assert.doesNotMatch(read.screen, /Repeat it/)
  })

  it('--non-interactive on a terminal never prompts', async () => {
    const root = join(await tempDir(), 'root')
    const run = await onTerminal(['vault', 'keys', '--root', root, '--non-interactive'], [])
    assert.equal(run.code, 0, run.screen)
    const set = await onTerminal(['vault', 'set', 'K', '--root', root, '--non-interactive'], [])
    assert.equal(set.code, 2)
    assert.match(set.screen, /no value for K: stdin is a terminal and prompts are off/)
  })
})
