import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {layoutColumns} from '../../../src/lib/ux/columns.ts'
import {messageFor, outputWidth, STABLE_WIDTH, widestLine, wrapText} from '../../../src/lib/ux/wrap.ts'

const widest = (lines: string[]) => Math.max(...lines.map((line) => line.length))

describe('wrapText', () => {
  it('breaks at spaces, with a first prefix and an indent that count towards the width', () => {
    const lines = wrapText('one two three four five six', 14, '- ', '  ')
    assert.deepEqual(lines, ['- one two', '  three four', '  five six'])
  })

  it('splits a word longer than the line after a slash, never dropping a character', () => {
    const path = '/tmp/hyops-e2e-home-abcdef/root/logs/init/proxmox/init-proxmox-20261207T003031Z-03d3bdc5'
    for (const width of [30, 41, 57, 80]) {
      const lines = wrapText(path, width, '  Evidence  ', ' '.repeat(12))
      assert.ok(widest(lines) <= width, `${width}: ${lines.join('|')}`)
      assert.equal(lines.map((line) => line.slice(12)).join(''), path)
      if (width >= 57) assert.ok(lines[0].endsWith('/'), lines[0])
    }
  })

  it('keeps a word whole on the next line when it fits there', () => {
    assert.deepEqual(wrapText('id automation@pam!infra-token', 20), ['id automation@pam!', 'infra-token'])
    assert.deepEqual(wrapText('go automation@pam!infra', 22), ['go', 'automation@pam!infra'])
  })
})

describe('outputWidth', () => {
  it('is the terminal width on a TTY and the stable width otherwise', () => {
    assert.equal(outputWidth({columns: 100, isTTY: true}), 100)
    assert.equal(outputWidth({columns: 100, isTTY: false}), STABLE_WIDTH)
    assert.equal(outputWidth({}), STABLE_WIDTH)
    assert.equal(STABLE_WIDTH, 80)
  })

  it('a message is wrapped at a terminal and left whole in a pipe', () => {
    const text = `Error: ${'word '.repeat(30).trim()}`
    assert.equal(messageFor({isTTY: false}, text), text + '\n')
    const wrapped = messageFor({columns: 50, isTTY: true}, text)
    assert.ok(widestLine(wrapped) <= 50)
    assert.equal(wrapped.replaceAll('\n  ', ' '), text + '\n')
  })
})

describe('layoutColumns', () => {
  const rows = [
    {label: 'Node', source: 'detected', value: 'pve1'},
    {label: 'API URL', source: 'validated, PVE 8.2.4', value: 'https://127.0.0.1:45481/api2/json'},
    {label: 'Token id', source: 'kept (secret from the vault)', value: 'automation@pam!infra-token'},
    {label: 'Step 1', value: 'a long plan step without a source that wraps within its own column '.repeat(2)},
  ]

  it('is one aligned table when everything fits', () => {
    assert.deepEqual(layoutColumns(rows.slice(0, 3), {width: 100}), [
      '  Node      pve1                               detected',
      '  API URL   https://127.0.0.1:45481/api2/json  validated, PVE 8.2.4',
      '  Token id  automation@pam!infra-token         kept (secret from the vault)',
    ])
  })

  it('puts a source under its value when both do not fit on the line, and wraps long values in their column', () => {
    const lines = layoutColumns(rows, {width: 70})
    assert.ok(widest(lines) <= 70, lines.join('\n'))
    assert.equal(lines[0], '  Node      pve1                               detected')
    assert.equal(lines[1], '  API URL   https://127.0.0.1:45481/api2/json  validated, PVE 8.2.4')
    assert.equal(lines[2], '  Token id  automation@pam!infra-token')
    assert.equal(lines[3], '            kept (secret from the vault)')
    assert.ok(
      lines
        .slice(4)
        .every((line, i) => (i === 0 ? line.startsWith('  Step 1    a long') : line.startsWith(' '.repeat(12)))),
    )
  })

  it('never passes the width, down to a narrow terminal', () => {
    for (let width = 40; width <= 120; width++) {
      const lines = layoutColumns(rows, {width})
      assert.ok(widest(lines) <= width, `${width}:\n${lines.join('\n')}`)
      const text = lines.join('\n')
      for (const value of ['pve1', 'detected']) assert.ok(text.includes(value))
    }
  })
})

describe('progress at a terminal', () => {
  it('wraps a note to the terminal width, and leaves it one line in a pipe', async () => {
    const {Progress} = await import('../../../src/lib/ux/progress.ts')
    const {Writable} = await import('node:stream')
    const capture = (isTTY: boolean) => {
      let text = ''
      const stream = Object.assign(
        new Writable({
          write(chunk, _encoding, callback) {
            text += String(chunk)
            callback()
          },
        }),
        {columns: 40, isTTY},
      )
      return {read: () => text, stream}
    }

    const note = `Kept the previous secret in the vault ${'/home/operator/.hybridops/vault/bootstrap.vault.env'}`
    const tty = capture(true)
    new Progress({environment: {NO_COLOR: '1'}, stream: tty.stream}).note(note)
    assert.ok(widestLine(tty.read()) <= 40, tty.read())
    assert.equal(tty.read().replaceAll(/\s+/g, ''), note.replaceAll(/\s+/g, ''), 'nothing cut')
    const pipe = capture(false)
    new Progress({environment: {}, stream: pipe.stream}).note(note)
    assert.equal(pipe.read(), note + '\n')

    const step = capture(true)
    await new Progress({environment: {NO_COLOR: '1'}, stream: step.stream}).step(
      `connect ${'x'.repeat(60)}`,
      async () => {},
    )
    assert.ok(widestLine(step.read()) <= 40, step.read())
    assert.match(step.read(), / ok \(\d\.\ds\)\n$/)
  })
})
