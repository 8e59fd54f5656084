/* eslint-disable no-control-regex -- these tests check the escape sequences drawn on a terminal */
import assert from 'node:assert/strict'
import {Writable} from 'node:stream'
import {describe, it} from 'node:test'
import {stripVTControlCharacters} from 'node:util'

import {formatDuration, Progress, progressMode} from '../../../src/lib/ux/progress.ts'
import {askConfirm} from '../../../src/lib/ux/prompts.ts'
import {FakeTerminal} from './fake-terminal.ts'

/** A stream that keeps what is written, and says whether it is a TTY. */
class CapturedStream extends Writable {
  text = ''
  writes = 0
  constructor(
    readonly isTTY = false,
    readonly columns = 80,
  ) {
    super()
  }

  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString()
    this.writes++
    callback()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Waits for what the spinner has drawn, however slow the machine; a spinner that never draws it fails. */
async function until(done: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${limitMs} ms waiting for ${what}`)
    await sleep(5)
  }
}
const DURATION = String.raw`\d+\.\ds`

describe('progress mode', () => {
  it('is silent with --json, whatever the stream', () => {
    assert.equal(progressMode(new CapturedStream(true), true, {}), 'silent')
    assert.equal(progressMode(new CapturedStream(false), true, {}), 'silent')
  })

  it('is a spinner only on a TTY without NO_COLOR or TERM=dumb', () => {
    assert.equal(progressMode(new CapturedStream(true), false, {TERM: 'xterm'}), 'fancy')
    assert.equal(progressMode(new CapturedStream(true), false, {NO_COLOR: '1'}), 'plain')
    assert.equal(progressMode(new CapturedStream(true), false, {TERM: 'dumb'}), 'plain')
    assert.equal(progressMode(new CapturedStream(false), false, {}), 'plain')
  })

  it('formats durations for people', () => {
    assert.equal(formatDuration(0), '0.0s')
    assert.equal(formatDuration(420), '0.4s')
    assert.equal(formatDuration(9949), '9.9s')
    assert.equal(formatDuration(12_400), '12s')
    assert.equal(formatDuration(125_000), '2m05s')
  })
})

describe('plain progress', () => {
  it('prints one line per step with ok and the duration, and returns the result', async () => {
    const stream = new CapturedStream()
    const progress = new Progress({environment: {}, stream})
    assert.equal(progress.mode, 'plain')
    assert.equal(await progress.step('connect root@10.0.0.5', async () => 42), 42)
    assert.equal(await progress.step('bootstrap', async () => 'x'), 'x')
    assert.match(
      stream.text,
      new RegExp(
        `^\\[hyops\\] connect root@10\\.0\\.0\\.5 \\.\\.\\. ok \\(${DURATION}\\)\\n\\[hyops\\] ` +
          `bootstrap \\.\\.\\. ok \\(${DURATION}\\)\\n$`,
      ),
    )
    assert.deepEqual(
      progress.steps.map((s) => [s.label, s.ok]),
      [
        ['connect root@10.0.0.5', true],
        ['bootstrap', true],
      ],
    )
  })

  it('says failed, rethrows the same error, and never prints the error or a result', async () => {
    const stream = new CapturedStream()
    const progress = new Progress({environment: {}, stream})
    const boom = new Error('token secret-value-123 rejected')
    await assert.rejects(
      progress.step('validate', async () => {
        throw boom
      }),
      (error) => error === boom,
    )
    assert.match(stream.text, new RegExp(`^\\[hyops\\] validate \\.\\.\\. failed \\(${DURATION}\\)\\n$`))
    assert.ok(!stream.text.includes('secret-value'))
    assert.equal(progress.steps[0].ok, false)
  })

  it('a note inside a step ends the open line; the outcome line repeats the label', async () => {
    const stream = new CapturedStream()
    const progress = new Progress({environment: {}, stream})
    await progress.step('connect', async () => {
      progress.note('recording the host key of pve1')
    })
    assert.match(
      stream.text,
      new RegExp(
        `^\\[hyops\\] connect \\.\\.\\.\\nrecording the host key of pve1\\n\\[hyops\\] connect ` +
          `\\.\\.\\. ok \\(${DURATION}\\)\\n$`,
      ),
    )
  })

  it('nested steps each get their own line', async () => {
    const stream = new CapturedStream()
    const progress = new Progress({environment: {}, stream})
    await progress.step('outer', async () => progress.step('inner', async () => {}))
    const lines = stream.text.split('\n')
    assert.deepEqual(
      lines.map((l) => l.replace(/\(\d+\.\ds\)/, '(T)')),
      ['[hyops] outer ...', '[hyops] inner ... ok (T)', '[hyops] outer ... ok (T)', ''],
    )
  })

  it('labels cannot carry terminal escape sequences', async () => {
    const stream = new CapturedStream()
    await new Progress({environment: {}, stream}).step('node \u001B[31mred\u001B[0m\nx', async () => {})
    assert.ok(!stream.text.includes('\u001B'))
    assert.match(stream.text, /node \?\[31mred\?\[0m\?x/)
  })
})

describe('silent progress (--json)', () => {
  it('writes nothing at all and still runs the steps', async () => {
    const stream = new CapturedStream(true)
    const progress = new Progress({json: true, stream})
    assert.equal(await progress.step('connect', async () => 'done'), 'done')
    progress.note('a note')
    await assert.rejects(progress.step('validate', async () => Promise.reject(new Error('x'))))
    assert.equal(stream.text, '')
    assert.equal(progress.steps.length, 2)
  })
})

describe('spinner progress (TTY)', () => {
  it('animates with the elapsed time, then ✔ with the duration', async () => {
    const stream = new CapturedStream(true)
    const progress = new Progress({environment: {TERM: 'xterm'}, intervalMs: 15, stream})
    assert.equal(progress.mode, 'fancy')
    const frames = () => new Set([...stream.text.matchAll(/\r\u001B\[2K([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]) bootstrap /g)].map((m) => m[1]))
    // The step ends once three frames and an elapsed time past 0.0s were drawn: events, not a fixed sleep.
    const ticking = /bootstrap \u001B\[2m(?!0\.0s)\d+\.\ds\u001B\[22m/
    await progress.step('bootstrap', () =>
      until(() => frames().size >= 3 && ticking.test(stream.text), 'three frames and a running elapsed time'),
    )
    assert.ok(frames().size >= 3, `expected an animation, saw frames ${[...frames()].join('')}`)
    assert.match(stream.text, ticking, 'the elapsed time is shown while it runs')
    assert.match(
      stream.text,
      new RegExp(`\\r\u001B\\[2K\u001B\\[32m✔\u001B\\[39m bootstrap \u001B\\[2m\\(${DURATION}\\)\u001B\\[22m\\n$`),
    )
  })

  it('a failed step ends with ✖', async () => {
    const stream = new CapturedStream(true)
    await assert.rejects(
      new Progress({environment: {}, intervalMs: 15, stream}).step('validate', async () =>
        Promise.reject(new Error('no')),
      ),
    )
    assert.match(stripVTControlCharacters(stream.text), /✖ validate \(0\.0s\)\n$/)
  })

  it('stops drawing while a prompt is on screen, and carries on after it', async () => {
    const stream = new CapturedStream(true)
    const terminal = new FakeTerminal()
    const progress = new Progress({environment: {}, intervalMs: 10, stream})
    let writesAfterAnswer = 0
    const answer = progress.step('connect', async () => {
      await until(() => stream.writes >= 2, 'the spinner to tick before the prompt')
      const trusted = await askConfirm('Trust it?', false, terminal.streams)
      writesAfterAnswer = stream.writes
      await until(() => stream.writes > writesAfterAnswer, 'the spinner to tick again after the prompt')
      return trusted
    })
    await terminal.waitFor('Trust it?')
    const writesAtPrompt = stream.writes
    assert.ok(stream.text.endsWith('\r\u001B[2K'), 'the spinner line is cleared before the prompt draws')
    await sleep(100)
    assert.equal(stream.writes, writesAtPrompt, 'the spinner drew over a prompt')
    terminal.type('y\r')
    assert.equal(await answer, true)
    assert.ok(writesAfterAnswer > writesAtPrompt, 'the spinner line was not redrawn after the prompt')
    assert.ok(stream.writes > writesAfterAnswer + 1, 'the spinner did not carry on after the prompt')
    assert.match(stripVTControlCharacters(stream.text), new RegExp(`✔ connect \\(${DURATION}\\)\n$`))
  })

  it('cuts a label that would wrap, so the line can be redrawn in place', async () => {
    const stream = new CapturedStream(true, 30)
    await new Progress({environment: {}, stream}).step('x'.repeat(100), async () => {})
    for (const line of stripVTControlCharacters(stream.text).split(/\r|\n/))
      assert.ok(line.length <= 30, `line too long: ${line}`)
    assert.match(stream.text, /…/)
  })
})
