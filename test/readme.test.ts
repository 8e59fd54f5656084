import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {commandReference, readmeWithReference} from '../scripts/readme-commands.js'
import {PROJECT_ROOT} from './helpers/cli.js'

describe('README.md', () => {
  it('has the two commands of a fresh machine first: the demo and the tests', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8')
    const firstBlock = readme.slice(readme.indexOf('```sh'), readme.indexOf('```', readme.indexOf('```sh') + 5))
    assert.match(firstBlock, /npm ci && npm run demo/)
    assert.match(firstBlock, /npm test/)
    const ci = await readFile(join(PROJECT_ROOT, '.ci', 'run'), 'utf8')
    assert.match(ci, /^npm test$/m, '.ci/run runs the README test command')
  })

  it('carries the command reference generated from the help (regenerate with npm run readme)', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8')
    assert.equal(readme, readmeWithReference(readme, commandReference()))
  })
})
