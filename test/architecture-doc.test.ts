// docs/architecture.md names only files that exist: every `name.ts`, `dir/name.sh`, ... it quotes is a file of
// the repository (a path matched by its end, a bare name anywhere under the folders it describes).

import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {describe, it} from 'node:test'

import {PROJECT_ROOT} from './helpers/cli.js'

const SKIP = new Set(['node_modules', 'dist', '.git', 'tmp', '.bench'])

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) files(path, out)
    else out.push(relative(PROJECT_ROOT, path))
  }

  return out
}

describe('docs/architecture.md', () => {
  it('names only files that exist', () => {
    const text = readFileSync(join(PROJECT_ROOT, 'docs', 'architecture.md'), 'utf8')
    const all = files(PROJECT_ROOT)
    const named = [...text.matchAll(/`([\w./-]+\.(?:ts|sh|js|mjs|md|json))`/g)].map((m) => m[1])
    assert.ok(named.length > 30, `found ${named.length} file names`)
    const missing = named.filter(
      (name) =>
        !all.some((path) => path === name || path.endsWith(`/${name}`) || path.endsWith(`/${name.replace(/^\//, '')}`)),
    )
    assert.deepEqual([...new Set(missing)], [])
  })
})
