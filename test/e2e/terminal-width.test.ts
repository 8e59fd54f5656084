import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {after, before, describe, it} from 'node:test'

import {startPveSim, type PveSim} from '../fixtures/pve-sim/index.ts'
import {CLI, cleanupTempDirs, tempDir, unwrapped} from '../helpers/cli.ts'
import {prepareRoot, type ProxmoxRoot} from '../helpers/proxmox-env.ts'
import {TerminalSession} from '../helpers/terminal.ts'

// What an operator sees at a real terminal of 80 and 100 columns (tmux): every line of
// `hyops init proxmox` (its progress, questions and summary) and of `hyops init status` fits
// the terminal, so tmux wraps nothing (capture-pane -J joins no line), and the summary still
// names what an operator copies from it. Needs `npm run build` first.

const WIDTHS = [80, 100]
const ROWS = 60
const escape = (text: string) => text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')
const words = (text: string) => text.replaceAll(/\s+/g, ' ').trim()
const count = (text: string, part: string) => text.split(part).length - 1

interface Shown {
  code: number
  /** The pane as the operator reads it: wrapped lines joined back into running text. */
  text: string
}

describe('hyops output at a real terminal of 80 and 100 columns (tmux)', () => {
  let plain: PveSim
  let noSnippets: PveSim
  const sessions: TerminalSession[] = []

  before(async () => {
    // The default host has a snippets storage; a fresh PVE 8 install has none (the warning).
    ;[plain, noSnippets] = await Promise.all([startPveSim(), startPveSim({profile: 'pve8'})])
  })

  after(async () => {
    await Promise.all(sessions.map((s) => s.kill()))
    await Promise.all([plain?.stop(), noSnippets?.stop()])
    await cleanupTempDirs()
  })

  /** Runs hyops in a pane `columns` wide, answering its questions; checks that no line was wrapped by the terminal. */
  async function atTerminal(
    columns: number,
    at: ProxmoxRoot,
    args: string[],
    answers: Array<{when: string | RegExp; keys: string[]}> = [],
  ): Promise<Shown> {
    const env = {HOME: at.home, LANG: 'C.UTF-8', PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'screen'}
    const session = await TerminalSession.start([process.execPath, CLI, ...args], env, await tempDir('hyops-tty-'), {
      columns,
      rows: ROWS,
    })
    sessions.push(session)
    const run = await session.answerUntilExit(answers, 60_000)
    // What the command printed: the pane up to the exit line the shell adds after it.
    const printed = (text: string) => text.slice(0, text.indexOf('[e2e-exit:')).split('\n')
    const joined = printed(await session.screen())
    const rows = printed(await session.rows())
    const label = `hyops ${args.slice(0, 2).join(' ')} at ${columns} columns`
    const wrapped = joined.find((line, i) => line.trimEnd() !== (rows[i] ?? '').trimEnd())
    assert.equal(wrapped, undefined, `${label}: tmux wrapped a line:\n${run.screen}`)
    assert.equal(joined.length, rows.length, `${label}: tmux wrapped a line:\n${run.screen}`)
    for (const line of joined)
      assert.ok(line.trimEnd().length <= columns, `${label}: a line wider than the terminal: ${line}`)
    return {code: run.code, text: unwrapped(run.screen)}
  }

  function init(at: ProxmoxRoot): string[] {
    return ['init', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile]
  }

  /** The summary names the node, the API URL, the token id, the three storages and the bridge. */
  function assertSummary(shown: Shown, sim: PveSim, at: ProxmoxRoot, snippets: string): void {
    assert.equal(shown.code, 0, shown.text)
    assert.match(shown.text, /Proxmox is ready for automation\./)
    const rows: Array<[string, string]> = [
      ['Node', 'pve1'],
      ['API URL', `https://127.0.0.1:${sim.apiPort}/api2/json`],
      ['Token id', at.tokenId],
      ['Storage \\(VM disks\\)', 'local-lvm'],
      ['Storage \\(ISO\\)', 'local'],
      ['Storage \\(snippets\\)', snippets],
      ['Bridge', 'vmbr0'],
    ]
    for (const [label, value] of rows) assert.match(shown.text, new RegExp(`${label}\\s+${escape(value)}\\s`), label)
  }

  /** Each of the marker's warnings is said once, with its fix. */
  async function assertWarningsOnce(shown: Shown, at: ProxmoxRoot, expected: string[]): Promise<void> {
    const marker = JSON.parse(await readFile(at.markerFile, 'utf8')) as {
      warnings?: Array<{code: string; message: string; fix: string}>
    }
    const warnings = marker.warnings ?? []
    assert.deepEqual(
      warnings.map((w) => w.code),
      expected,
    )
    const text = words(shown.text)
    for (const warning of warnings) {
      assert.equal(count(text, words(warning.message)), 1, `said once: ${warning.message}\n${shown.text}`)
      assert.equal(count(text, words(warning.fix)), 1, `fix said once: ${warning.fix}\n${shown.text}`)
    }
  }

  for (const columns of WIDTHS) {
    it(`${columns} columns: a config warning and an error fit, whole`, async () => {
      const at = await prepareRoot(plain, {extraConfig: {PROXMOX_API_PORT: 'not-a-port', PROXMOX_TYPO: 'x'}})
      const shown = await atTerminal(columns, at, init(at))
      assert.equal(shown.code, 11, shown.text)
      assert.match(shown.text, /Error: .*PROXMOX_API_PORT.*not-a-port/)
      assert.match(shown.text, /Warning: .* unknown key PROXMOX_TYPO in \[proxmox\] \(ignored; a typo\?\)/)
      assert.ok(words(shown.text).includes(words(at.configFile)) || shown.text.includes('proxmox.conf'), shown.text)
    })

    it(`${columns} columns: first run, re-run and init status fit, and the summary names every value`, async () => {
      const at = await prepareRoot(plain)
      const first = await atTerminal(columns, at, init(at), [{keys: ['y', 'Enter'], when: /Trust it and continue\?/}])
      assertSummary(first, plain, at, 'local')
      await assertWarningsOnce(first, at, [])
      assert.doesNotMatch(first.text, /Warning/)

      const again = await atTerminal(columns, at, init(at))
      assertSummary(again, plain, at, 'local')
      assert.match(again.text, /Token id\s+\S+\s+kept \(secret from the vault\)/)

      const status = await atTerminal(columns, at, ['init', 'status', '--root', at.root])
      assert.equal(status.code, 0, status.text)
      assert.match(status.text, /proxmox: ready \(run_id=init-proxmox-\S+, generated_at=\S+\)/)
    })

    it(`${columns} columns: the snippets question, then its warning said once, as in init status`, async () => {
      const at = await prepareRoot(noSnippets)
      const first = await atTerminal(columns, at, init(at), [
        {keys: ['y', 'Enter'], when: /Trust it and continue\?/},
        // The question about adding snippets: Enter takes the default, no.
        {keys: ['Enter'], when: /Add it to "local"/},
      ])
      assertSummary(first, noSnippets, at, 'local')
      assert.match(first.text, /has the snippets content type/, 'the question was asked')
      await assertWarningsOnce(first, at, ['snippets-fallback'])

      const status = await atTerminal(columns, at, ['init', 'status', '--root', at.root])
      assert.equal(status.code, 0, status.text)
      await assertWarningsOnce(status, at, ['snippets-fallback'])
    })
  }
})
