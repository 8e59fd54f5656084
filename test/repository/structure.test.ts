// The repository's own rules, checked on the files themselves: small source files in small
// folders, and no citation of a document outside the repository (behaviour is described in
// docs/, cited by section name). test/architecture-doc.test.ts keeps docs/architecture.md true.
import assert from 'node:assert/strict'
import {readdir, readFile} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {describe, it} from 'node:test'

import {PROJECT_ROOT} from '../helpers/cli.js'

const SKIP = new Set(['node_modules', 'dist', '.git'])

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    if (SKIP.has(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesUnder(path)))
    else if (entry.isFile()) out.push(path)
  }

  return out
}

describe('the repository', () => {
  it('no folder under src/ holds more than 10 files and no src/ file is over 450 lines', async () => {
    const files = await filesUnder(join(PROJECT_ROOT, 'src'))
    const perFolder = new Map<string, number>()
    for (const file of files) {
      const folder = relative(PROJECT_ROOT, join(file, '..'))
      perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1)
    }

    assert.deepEqual(
      [...perFolder].filter(([, count]) => count > 10),
      [],
      'folders with more than 10 files',
    )
    const long: string[] = []
    for (const file of files) {
      const lines = (await readFile(file, 'utf8')).split('\n').length - 1
      if (lines > 450) long.push(`${relative(PROJECT_ROOT, file)}: ${lines} lines`)
    }

    assert.deepEqual(long, [], 'source files over 450 lines')
  })

  it('no comment, test or doc cites an issue, an acceptance number or a document outside the repository', async () => {
    // Built from pieces, so that this file does not cite what it forbids.
    const forbidden = new RegExp(
      [
        'an' + 'nex',
        'accept' + 'ance [0-9]',
        'iss' + 'ue [0-9]',
        'sp' + 'ec/',
        'pve-' + 'facts',
        'proxmox-' + 'decisions',
        'init-' + 'contract',
      ].join('|'),
      'i',
    )
    const roots = ['src', 'test', 'plugins', 'docs', 'scripts', 'bench']
    const files = [join(PROJECT_ROOT, 'README.md')]
    for (const root of roots) files.push(...(await filesUnder(join(PROJECT_ROOT, root))))
    const hits: string[] = []
    for (const file of files) {
      if (/\.(tgz|pem|key|der|png)$/.test(file)) continue
      const lines = (await readFile(file, 'utf8')).split('\n')
      for (const [index, line] of lines.entries())
        if (forbidden.test(line)) hits.push(`${relative(PROJECT_ROOT, file)}:${index + 1}: ${line.trim()}`)
    }

    assert.deepEqual(hits, [])
  })
})
