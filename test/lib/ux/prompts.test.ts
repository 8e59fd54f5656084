import {render} from '@inquirer/testing'
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ExitCode, HyopsError} from '../../../src/lib/errors.ts'
import {
  askConfirm,
  askInput,
  askNewSecret,
  askSecret,
  askVaultPassword,
  confirmGenerateKey,
  confirmInstallKey,
  confirmTrustHostKey,
  NEW_SECRET_ATTEMPTS,
  type PromptStreams,
} from '../../../src/lib/ux/prompts.ts'
import {askRootPassword, confirmReuseToken, confirmRotateToken} from '../../../src/lib/proxmox/prompts.ts'
import {FakeTerminal} from './fake-terminal.ts'

const ENTER = '\r'
const CTRL_C = '\u0003'
const CTRL_D = '\u0004'

interface Rendered<T> {
  answer: Promise<T>
  events: {keypress(key: string | {name: string; ctrl?: boolean}): void; type(text: string): void}
  getScreen(): string
}

/**
 * Renders one of our questions with @inquirer/testing; `ask` gets the test's streams. Our
 * helpers load @inquirer/prompts lazily, so the prompt is on screen only a little later than
 * render() assumes: wait for it before pressing keys.
 */
async function renderQuestion<T>(ask: (streams: PromptStreams) => Promise<T>): Promise<Rendered<T>> {
  const rendered = (await render(
    ((_props: unknown, context: PromptStreams) => ask(context)) as never,
    {},
  )) as unknown as Rendered<T>
  const deadline = Date.now() + 3000
  while (rendered.getScreen() === '') {
    if (Date.now() > deadline) throw new Error('the prompt was never drawn')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }

  return rendered
}

async function assertCancelled(answer: Promise<unknown>): Promise<void> {
  await assert.rejects(answer, (error: unknown) => {
    assert.ok(error instanceof HyopsError, `expected a HyopsError, got ${String(error)}`)
    assert.equal(error.exitCode, ExitCode.Cancelled)
    assert.match(error.message, /cancelled/)
    return true
  })
}

describe('operator questions (rendered with @inquirer/testing)', () => {
  const cases: Array<{name: string; ask: (s: PromptStreams) => Promise<boolean>; expected: boolean; shows: RegExp[]}> =
    [
      {
        ask: (s) => confirmTrustHostKey('pve.example:22', 'SHA256:abcDEF123+/xyz', s),
        expected: false,
        name: 'trust a new host key: shows the fingerprint, Enter means no',
        shows: [/pve\.example:22/, /SHA256:abcDEF123\+\/xyz/, /\(y\/N\)/],
      },
      {
        ask: (s) => confirmReuseToken('lab', '10.0.0.5', s),
        expected: true,
        name: 'reuse a token of another env: Enter means yes',
        shows: [/"lab"/, /10\.0\.0\.5/, /Reuse it\?/, /\(Y\/n\)/],
      },
      {
        ask: (s) => confirmRotateToken('automation@pam!infra-token', s),
        expected: false,
        name: 'rotate an existing token: Enter means no',
        shows: [/automation@pam!infra-token/, /Rotate it \(breaks its current users\)\?/, /\(y\/N\)/],
      },
      {
        ask: (s) => confirmInstallKey('root', 'pve1', '/home/op/.ssh/id_ed25519.pub', s),
        expected: true,
        name: 'install the public key: names the key and the host, Enter means yes',
        shows: [/root@pve1/, /\/home\/op\/\.ssh\/id_ed25519\.pub/, /authorized_keys/, /\(Y\/n\)/],
      },
      {
        ask: (s) => confirmGenerateKey('/home/op/.ssh/id_ed25519', s),
        expected: true,
        name: 'generate a key pair: Enter means yes',
        shows: [/\/home\/op\/\.ssh\/id_ed25519/, /ed25519/, /\(Y\/n\)/],
      },
    ]

  for (const {ask, expected, name, shows} of cases) {
    it(name, async () => {
      const {answer, events, getScreen} = await renderQuestion(ask)
      for (const pattern of shows) assert.match(getScreen(), pattern)
      events.keypress('enter')
      assert.equal(await answer, expected)
    })

    it(`${name.split(':')[0]}: an explicit answer wins over the default`, async () => {
      const {answer, events} = await renderQuestion(ask)
      events.type(expected ? 'n' : 'y')
      events.keypress('enter')
      assert.equal(await answer, !expected)
    })
  }

  it('Ctrl-C at a question is exit 130', async () => {
    const {answer, events} = await renderQuestion((s) => confirmRotateToken('a@pam!t', s))
    events.keypress({ctrl: true, name: 'c'})
    await assertCancelled(answer)
  })
})

describe('prompts driven through a byte stream', () => {
  it('askConfirm: Enter takes the default, y/n override it', async () => {
    for (const [keys, defaultValue, expected] of [
      [ENTER, true, true],
      [ENTER, false, false],
      ['y' + ENTER, false, true],
      ['yes' + ENTER, false, true],
      ['n' + ENTER, true, false],
    ] as const) {
      const terminal = new FakeTerminal()
      const answer = askConfirm('Go on?', defaultValue, terminal.streams)
      await terminal.waitFor('Go on?')
      terminal.type(keys)
      assert.equal(await answer, expected, `keys ${JSON.stringify(keys)} with default ${defaultValue}`)
    }
  })

  it('askInput: Enter takes the default, typed text replaces it', async () => {
    let terminal = new FakeTerminal()
    let answer = askInput('Node name', 'pve', terminal.streams)
    await terminal.waitFor('Node name')
    terminal.type(ENTER)
    assert.equal(await answer, 'pve')
    terminal = new FakeTerminal()
    answer = askInput('Node name', 'pve', terminal.streams)
    await terminal.waitFor('Node name')
    terminal.type('pve2' + ENTER)
    assert.equal(await answer, 'pve2')
  })

  it('askSecret: the answer is returned and never drawn, not even as a mask', async () => {
    const terminal = new FakeTerminal()
    const answer = askSecret('Vault password', terminal.streams)
    await terminal.waitFor('Vault password')
    terminal.type('s3cret-Value!' + ENTER)
    assert.equal(await answer, 's3cret-Value!')
    assert.ok(!terminal.raw.includes('s3cret'), 'the typed secret appears in the output')
    assert.ok(!terminal.raw.includes('*'.repeat(5)), 'a mask shows the length of the secret')
  })

  it('askSecret: an empty answer is refused and the prompt waits for a real one', async () => {
    const terminal = new FakeTerminal()
    const answer = askSecret('Vault password', terminal.streams)
    await terminal.waitFor('Vault password')
    terminal.type(ENTER)
    await terminal.waitFor('an empty answer is not allowed')
    terminal.type('x' + ENTER)
    assert.equal(await answer, 'x')
  })

  it('askRootPassword: names user and host, hidden, asked once', async () => {
    const terminal = new FakeTerminal()
    const answer = askRootPassword('root', '192.0.2.7', terminal.streams)
    await terminal.waitFor('Password of root@192.0.2.7')
    terminal.type('rootpw-123' + ENTER)
    assert.equal(await answer, 'rootpw-123')
    assert.ok(!terminal.raw.includes('rootpw'))
    assert.equal(terminal.screen.split('Password of root@').length - 1 > 0, true)
    assert.match(terminal.screen, /never stored/)
  })

  it('askNewSecret: asked twice; equal entries are returned', async () => {
    const terminal = new FakeTerminal()
    const answer = askNewSecret('New vault password', terminal.streams)
    await terminal.waitFor('New vault password')
    terminal.type('pw-one' + ENTER)
    await terminal.waitFor('Repeat it')
    terminal.type('pw-one' + ENTER)
    assert.equal(await answer, 'pw-one')
    assert.ok(!terminal.raw.includes('pw-one'))
  })

  it('askNewSecret: different entries ask again', async () => {
    const terminal = new FakeTerminal()
    const answer = askNewSecret('New vault password', terminal.streams)
    await terminal.waitFor('New vault password')
    terminal.type('first' + ENTER)
    await terminal.waitFor('Repeat it')
    terminal.type('other' + ENTER)
    await terminal.waitFor('The two entries differ')
    await terminal.waitFor('New vault password')
    terminal.type('final' + ENTER)
    await terminal.waitFor('Repeat it')
    terminal.type('final' + ENTER)
    assert.equal(await answer, 'final')
  })

  it(`askNewSecret: ${NEW_SECRET_ATTEMPTS} mismatches are exit 21`, async () => {
    const terminal = new FakeTerminal()
    const answer = askNewSecret('New vault password', terminal.streams)
    for (let attempt = 1; attempt <= NEW_SECRET_ATTEMPTS; attempt++) {
      await terminal.waitFor('New vault password')
      terminal.type(`a${attempt}` + ENTER)
      await terminal.waitFor('Repeat it')
      terminal.type(`b${attempt}` + ENTER)
    }

    await assert.rejects(
      answer,
      (error: unknown) =>
        error instanceof HyopsError && error.exitCode === ExitCode.Secrets && /differed/.test(error.message),
    )
  })

  it('askVaultPassword: twice for a new vault, once for an existing one', async () => {
    let terminal = new FakeTerminal()
    let answer = askVaultPassword('/r/vault/bootstrap.vault.env', true, terminal.streams)
    await terminal.waitFor('New vault password for /r/vault/bootstrap.vault.env')
    terminal.type('vpw' + ENTER)
    await terminal.waitFor('Repeat it')
    terminal.type('vpw' + ENTER)
    assert.equal(await answer, 'vpw')

    terminal = new FakeTerminal()
    answer = askVaultPassword('/r/vault/bootstrap.vault.env', false, terminal.streams)
    await terminal.waitFor('Vault password for /r/vault/bootstrap.vault.env')
    terminal.type('vpw' + ENTER)
    assert.equal(await answer, 'vpw')
    assert.ok(!terminal.screen.includes('Repeat it'))
  })

  it('Ctrl-C at a yes/no question is exit 130', async () => {
    const terminal = new FakeTerminal()
    const answer = confirmTrustHostKey('h', 'SHA256:x', terminal.streams)
    await terminal.waitFor('Trust it')
    terminal.type(CTRL_C)
    await assertCancelled(answer)
  })

  it('Ctrl-C at a hidden prompt is exit 130, also in the second entry of a new secret', async () => {
    let terminal = new FakeTerminal()
    let answer: Promise<unknown> = askSecret('Vault password', terminal.streams)
    await terminal.waitFor('Vault password')
    terminal.type('half-typed' + CTRL_C)
    await assertCancelled(answer)

    terminal = new FakeTerminal()
    answer = askNewSecret('New vault password', terminal.streams)
    await terminal.waitFor('New vault password')
    terminal.type('abc' + ENTER)
    await terminal.waitFor('Repeat it')
    terminal.type(CTRL_C)
    await assertCancelled(answer)
  })

  it('Ctrl-D (input closed) is exit 130 at once, never a prompt left waiting', async () => {
    const terminal = new FakeTerminal()
    const started = Date.now()
    const answer = askConfirm('Go on?', true, terminal.streams)
    await terminal.waitFor('Go on?')
    terminal.type(CTRL_D)
    await assertCancelled(answer)
    assert.ok(Date.now() - started < 2000)
  })

  it('an input that ends is exit 130 at once', async () => {
    const terminal = new FakeTerminal()
    const answer = askSecret('Vault password', terminal.streams)
    await terminal.waitFor('Vault password')
    terminal.input.end()
    await assertCancelled(answer)
  })
})
