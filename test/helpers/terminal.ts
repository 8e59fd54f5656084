import {execFile} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {PROJECT_ROOT} from './cli.js'
import {requireTool} from './tools.js'

// A command in a real pseudo-terminal: tmux runs it in a detached pane, and the test reads
// the screen and types as an operator would.

const execFileAsync = promisify(execFile)
const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`
const EXIT_MARKER = /\[e2e-exit:(\d+)\]/
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One tmux server (own socket, no user config) with one pane running one command. */
export class TerminalSession {
  private constructor(
    private readonly socket: string,
    private readonly config: string,
  ) {}

  /**
   * Starts `argv` in a pane of `size` (160x50 by default) with exactly `env` (nothing inherited);
   * the pane stays after exit.
   */
  static async start(
    argv: string[],
    env: Record<string, string>,
    dir: string,
    size: {columns: number; rows: number} = {columns: 160, rows: 50},
  ): Promise<TerminalSession> {
    const config = join(dir, 'tmux.conf')
    await writeFile(config, 'set -g remain-on-exit on\nset -g history-limit 20000\nset -g status off\n')
    // A socket in the test's temp dir: no clash with other servers, removed with the dir.
    const socket = join(dir, 'tmux.sock')
    // The shell prints the exit status after the command: tmux's own pane_dead_status is not
    // always set by the time the pane is marked dead.
    const command = [
      'cd',
      quote(PROJECT_ROOT),
      '&&',
      'env',
      '-i',
      ...Object.entries(env).map(([k, v]) => quote(`${k}=${v}`)),
      ...argv.map(quote),
      `; printf '\\n[e2e-exit:%s]\\n' "$?"`,
    ].join(' ')
    const session = new TerminalSession(socket, config)
    await session.tmux('new-session', '-d', '-s', 'e2e', '-x', String(size.columns), '-y', String(size.rows), command)
    return session
  }

  async tmux(...args: string[]): Promise<string> {
    requireTool('tmux', 'tmux')
    const {stdout} = await execFileAsync('tmux', ['-S', this.socket, '-f', this.config, ...args], {encoding: 'utf8'})
    return stdout
  }

  /** Everything in the pane, scrollback included, wrapped lines joined. */
  async screen(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'e2e')
  }

  /** Everything in the pane, scrollback included, one line per screen row (nothing joined). */
  async rows(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-S', '-', '-t', 'e2e')
  }

  /** Types text literally. */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'e2e', '-l', text)
  }

  /** Presses keys by tmux name (`Enter`, `C-c`). */
  async press(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', 'e2e', ...keys)
  }

  /**
   * Answers prompts as they appear (each answer once, in any order) until the command exits;
   * returns its exit status and the final screen. Fails when it runs past `timeoutMs`.
   */
  async answerUntilExit(
    answers: Array<{when: string | RegExp; keys: string[]}>,
    timeoutMs = 30_000,
  ): Promise<{code: number; screen: string; answered: number}> {
    const pending = [...answers]
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = await this.screen()
      const match = EXIT_MARKER.exec(screen)
      if (match)
        return {answered: answers.length - pending.length, code: Number(match[1]), screen: screen.slice(0, match.index)}
      const due = pending.findIndex(({when}) => (typeof when === 'string' ? screen.includes(when) : when.test(screen)))
      if (due !== -1) {
        const [{keys}] = pending.splice(due, 1)
        for (const key of keys) await (key === 'Enter' || key === 'C-c' ? this.press(key) : this.type(key))
      }

      if (Date.now() > deadline)
        throw new Error(`the command was still running after ${timeoutMs} ms; screen:\n${screen}`)
      await sleep(40)
    }
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => {})
  }
}
