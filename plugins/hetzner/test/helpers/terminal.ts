import {execFile} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {requireTool} from './tools.js'
import {tempDir} from './hyops-cli.js'

const run = promisify(execFile)
const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`

/**
 * A real pseudo-terminal: a private tmux server runs one command in a detached pane; the
 * test reads the screen and types like an operator. The pane stays after the command exits,
 * so its exit status can be read.
 */
export class Terminal {
  private constructor(
    private readonly socket: string,
    private readonly config: string,
  ) {}

  /** Runs `argv` with exactly `env` (`env -i`) in an 120x40 pane. */
  static async start(argv: string[], env: Record<string, string>): Promise<Terminal> {
    const dir = await tempDir('hyops-tmux-')
    const config = join(dir, 'tmux.conf')
    await writeFile(config, 'set -g remain-on-exit on\nset -g status off\nset -g history-limit 5000\n')
    // The socket lives in the test's temp dir, so nothing is left in /tmp/tmux-<uid>.
    const terminal = new Terminal(join(dir, 'tmux.sock'), config)
    // tmux does not always learn the exit status of a process that exits on its own, so a
    // shell prints it on the screen once the command is over.
    const report = `"$@"; printf '\\n[exit %s]\\n' "$?"`
    const command = [
      'exec',
      'env',
      '-i',
      ...Object.entries(env).map(([key, value]) => shellQuote(`${key}=${value}`)),
      'sh',
      '-c',
      shellQuote(report),
      'sh',
      ...argv.map(shellQuote),
    ].join(' ')
    await terminal.tmux('new-session', '-d', '-s', 'main', '-x', '120', '-y', '40', command)
    return terminal
  }

  private async tmux(...args: string[]): Promise<string> {
    requireTool('tmux', 'tmux')
    return (await run('tmux', ['-S', this.socket, '-f', this.config, ...args], {encoding: 'utf8'})).stdout
  }

  /** The whole pane, scrollback included, wrapped lines joined. */
  screen(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'main')
  }

  /** Waits until the screen matches; fails with the screen after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = await this.screen()
      if (pattern.test(screen)) return screen
      if (Date.now() > deadline) throw new Error(`${pattern} did not appear; screen:\n${screen}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Types text literally, then Enter. */
  async typeLine(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'main', '-l', text)
    await this.tmux('send-keys', '-t', 'main', 'Enter')
  }

  /** Presses a key by its tmux name (`C-c`). */
  async press(key: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'main', key)
  }

  /** Waits for the command to exit; returns its status and the screen before the status line. */
  async exit(timeoutMs = 20_000): Promise<{code: number; screen: string}> {
    const screen = await this.waitFor(/\n\[exit \d+\]\n/, timeoutMs)
    const marker = /\n\[exit (\d+)\]\n/.exec(screen)!
    return {code: Number(marker[1]), screen: screen.slice(0, marker.index)}
  }

  async close(): Promise<void> {
    await this.tmux('kill-server').catch(() => {})
  }
}
