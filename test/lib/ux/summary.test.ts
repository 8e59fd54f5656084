/* eslint-disable no-control-regex -- these tests check the escape sequences drawn on a terminal */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {stripVTControlCharacters} from 'node:util'

import {renderSummary, summaryColor, type Summary} from '../../../src/lib/ux/summary.ts'

const summary: Summary = {
  paths: [
    {label: 'credentials', path: '/home/op/.hybridops/credentials/proxmox.credentials.tfvars'},
    {label: 'marker', path: '/home/op/.hybridops/meta/proxmox.ready.json'},
    {label: 'vault', path: '/home/op/.hybridops/vault/bootstrap.vault.env'},
  ],
  rows: [
    {label: 'node', source: 'detected', value: 'pve1'},
    {label: 'API URL', source: 'detected', value: 'https://10.0.0.5:8006/api2/json'},
    {label: 'token id', source: 'created', value: 'automation@pam!infra-token'},
    {label: 'storage vm', source: 'fallback', value: 'local-lvm'},
    {label: 'storage iso', source: 'detected', value: 'local'},
    {label: 'storage snippets', source: 'detected', value: 'local'},
    {label: 'bridge', source: 'config', value: 'vmbr0'},
    {label: 'TLS', value: 'skip verification'},
    {label: 'HTTP bind', source: 'autodetect', value: undefined},
  ],
  title: 'Proxmox is ready for automation.',
}

describe('summary', () => {
  it('renders aligned columns and the paths written, without colour', () => {
    const text = renderSummary(summary)
    assert.equal(
      text,
      [
        'Proxmox is ready for automation.',
        '',
        '  node              pve1                             detected',
        '  API URL           https://10.0.0.5:8006/api2/json  detected',
        '  token id          automation@pam!infra-token       created',
        '  storage vm        local-lvm                        fallback',
        '  storage iso       local                            detected',
        '  storage snippets  local                            detected',
        '  bridge            vmbr0                            config',
        '  TLS               skip verification',
        '  HTTP bind         -                                autodetect',
        '',
        'Files written:',
        '  credentials  /home/op/.hybridops/credentials/proxmox.credentials.tfvars',
        '  marker       /home/op/.hybridops/meta/proxmox.ready.json',
        '  vault        /home/op/.hybridops/vault/bootstrap.vault.env',
        '',
      ].join('\n'),
    )
    assert.ok(!text.includes('\u001B'))
  })

  it('with colour: the same text once the escapes are stripped, sources coloured', () => {
    const coloured = renderSummary(summary, {color: true})
    assert.equal(stripVTControlCharacters(coloured), renderSummary(summary))
    assert.match(coloured, /\u001B\[32mdetected\u001B\[39m/)
    assert.match(coloured, /\u001B\[33mfallback\u001B\[39m/)
  })

  it('a dry run can name its paths differently; no rows, no blank first line', () => {
    const text = renderSummary({
      paths: [{label: 'credentials', path: '/r/c.tfvars'}],
      pathsTitle: 'Would write:',
      rows: [],
    })
    assert.equal(text, 'Would write:\n  credentials  /r/c.tfvars\n')
  })

  it('values from the host cannot inject terminal sequences', () => {
    const text = renderSummary({rows: [{label: 'node', source: 'detected', value: 'pve\u001B]0;owned\u0007\nX'}]})
    assert.ok(!text.includes('\u001B') && !text.includes('\u0007'))
    assert.equal(text.split('\n').length, 2)
  })

  it('colour only on a TTY without NO_COLOR', () => {
    const tty = {isTTY: true} as NodeJS.WriteStream
    const pipe = {isTTY: false} as NodeJS.WriteStream
    assert.equal(summaryColor(tty, {TERM: 'xterm'}), true)
    assert.equal(summaryColor(tty, {NO_COLOR: ''}), false)
    assert.equal(summaryColor(pipe, {TERM: 'xterm'}), false)
  })

  it('a long value without a source does not push the source column out', () => {
    const text = renderSummary({
      rows: [
        {label: 'Host', source: 'config', value: 'root@h:22'},
        {label: 'Step 1', value: 'x'.repeat(150)},
      ],
    })
    assert.equal(text.split('\n')[0], '  Host    root@h:22  config')
  })
})

describe('summary laid out for a width', () => {
  const long: Summary = {
    ...summary,
    paths: [
      {label: 'evidence', path: '/home/operator/.hybridops/logs/init/proxmox/init-proxmox-20261207T003031Z-03d3bdc5'},
    ],
    warnings: [
      {
        fix: 're-run with --enable-snippets, or on the host: pvesm set local --content iso,vztmpl,backup,snippets',
        message: 'no storage of node pve1 has the content type snippets: cloud-init snippet uploads will fail',
      },
    ],
  }

  it('fits every width from 40 to 160, values and warnings whole once the lines are joined', () => {
    for (let width = 40; width <= 160; width++) {
      const text = renderSummary(long, {width})
      const lines = text.trimEnd().split('\n')
      assert.ok(
        lines.every((line) => line.length <= width),
        `${width}:\n${text}`,
      )
      const words = text.replaceAll(/\s+/g, ' ')
      assert.equal(words.split(long.warnings![0].message).length - 1, 1, `${width}: the warning once`)
      assert.ok(words.includes(long.warnings![0].fix!), `${width}: the fix`)
      const joined = text.replaceAll(/\n\s+/g, '')
      assert.ok(joined.includes(long.paths![0].path), `${width}: the path whole`)
      assert.ok(joined.includes('https://10.0.0.5:8006/api2/json'), `${width}: the URL whole`)
    }
  })

  it('says the warnings in a block after the rows, each once, with its fix', () => {
    const text = renderSummary(long, {width: 80})
    const block = text.slice(text.indexOf('Warning:'), text.indexOf('Files written:'))
    assert.equal(
      block,
      [
        'Warning:',
        '  - no storage of node pve1 has the content type snippets: cloud-init snippet',
        '    uploads will fail',
        '    fix: re-run with --enable-snippets, or on the host: pvesm set local',
        '      --content iso,vztmpl,backup,snippets',
        '',
        '',
      ].join('\n'),
    )
    assert.ok(text.indexOf('Warning:') > text.indexOf('HTTP bind'), 'after the rows')
  })

  it('is 80 columns wide unless told otherwise (a pipe or a file)', () => {
    assert.equal(renderSummary(long), renderSummary(long, {width: 80}))
  })
})
