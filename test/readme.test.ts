import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {commandReference, readmeWithReference} from '../scripts/readme-commands.js'
import {PROJECT_ROOT} from './helpers/cli.js'

describe('README.md', () => {
  it('has the commands of a fresh machine first: the demo, then .ci/run, which installs what tests need', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8')
    const firstBlock = readme.slice(readme.indexOf('```sh'), readme.indexOf('```', readme.indexOf('```sh') + 5))
    const commands = firstBlock
      .split('\n')
      .slice(1)
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean)
    assert.deepEqual(commands.slice(0, 2), ['npm ci && npm run demo', 'bash .ci/run'])
    assert.ok(commands.includes('npm test'), 'npm test is shown for repeat runs')
    const ci = await readFile(join(PROJECT_ROOT, '.ci', 'run'), 'utf8')
    assert.match(ci, /^npm ci\b/m, '.ci/run installs the npm packages')
    assert.match(ci, /^npm test$/m, '.ci/run runs the README test command')
    for (const pkg of ['ansible', 'python3-proxmoxer', 'openssh-server', 'tmux'])
      assert.match(ci, new RegExp(`need\\+=\\([^)]*\\b${pkg}\\b`), `.ci/run installs ${pkg}`)
  })

  it('carries the command reference generated from the help (regenerate with npm run readme)', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8')
    assert.equal(readme, readmeWithReference(readme, commandReference()))
  })
})
