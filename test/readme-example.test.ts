import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {EXAMPLE_COLUMNS, exampleRun, maskRun, readmeExample} from '../scripts/readme-example.js'
import {PROJECT_ROOT} from './helpers/cli.js'

// The README's example run is a real 80-column tmux capture of the built CLI (npm run build first).
describe("README.md's example run", () => {
  it('is what hyops prints at an 80-column terminal today (regenerate with npm run readme:example)', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8')
    const shown = readmeExample(readme)
    assert.ok(
      shown.split('\n').every((line) => line.length <= EXAMPLE_COLUMNS),
      'a line wider than 80 columns',
    )
    assert.match(shown, /^\$ hyops init proxmox\n/)
    assert.match(shown, /Proxmox is ready for automation\./)
    assert.equal(shown, await exampleRun())
  })

  it('masks what changes between runs with text of the same length', () => {
    const home = '/tmp/hyops-example-Ab3dEf'
    const text =
      `connect root@127.0.0.1:41103 (1.8s) ${home}/.hybridops SHA256:sbxxB1PyLjh6cnPBW6AFqk+2JwlN0LtH9GrUvEtoRj4 ` +
      'init-proxmox-20261207T010107Z-80b984c7 generated_at=2026-12-07T00:30:30.086Z (12s)'
    const masked = maskRun(text, home)
    assert.equal(
      masked,
      'connect root@127.0.0.1:NNNNN (0.0s) /tmp/hyops-example-XXXXXX/.hybridops ' +
        `SHA256:${'x'.repeat(43)} init-proxmox-YYYYMMDDTHHMMSSZ-xxxxxxxx ` +
        'generated_at=YYYY-MM-DDTHH:MM:SS.mmmZ (0.0s)',
    )
  })
})
