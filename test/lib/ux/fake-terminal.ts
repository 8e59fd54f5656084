import {PassThrough} from 'node:stream'
import {stripVTControlCharacters} from 'node:util'

import type {PromptStreams} from '../../../src/lib/ux/prompts.ts'

/**
 * A terminal for prompts without a TTY: keystrokes are written as the bytes a terminal sends
 * (`\r` Enter, `\x03` Ctrl-C, `\x04` Ctrl-D) and decoded by the prompt's own readline; what
 * the prompt draws is collected. Raw output keeps escape sequences; `screen` strips them.
 */
export class FakeTerminal {
  readonly input = new PassThrough()
  readonly output = new PassThrough()
  raw = ''
  private seen = 0

  constructor() {
    this.output.setEncoding('utf8').on('data', (chunk: string) => (this.raw += chunk))
  }

  get streams(): PromptStreams {
    return {input: this.input, output: this.output}
  }

  /** Everything drawn so far, without escape sequences. */
  get screen(): string {
    return stripVTControlCharacters(this.raw)
  }

  /** Sends bytes as if typed. */
  type(bytes: string): void {
    this.input.write(bytes)
  }

  /**
   * Waits until `text` is drawn after the previous match, then moves past it. Prompts redraw
   * their line on every key, so matching in order is what tells one prompt from the next.
   * The limit is generous: it only ends a test that fails, and a loaded machine draws slowly.
   */
  async waitFor(text: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.screen.indexOf(text, this.seen)
      if (index !== -1) {
        this.seen = index + text.length
        return
      }

      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${JSON.stringify(text)}; screen after the last match: ` +
            `${JSON.stringify(this.screen.slice(this.seen))}`,
        )
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
}
