// The import graph of src/: no file imports itself through others (type-only imports count), read from the
// source text (`import ... from '...'`, `export ... from '...'`, `import('...')`) with relative `.js` names
// resolved to the `.ts` beside them.

import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {describe, it} from 'node:test'

import {PROJECT_ROOT} from './helpers/cli.js'

const SRC = join(PROJECT_ROOT, 'src')
const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) sourceFiles(path, out)
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path)
  }

  return out
}

/** The files of `files` that `file` imports, by path relative to the project. */
export function importsOf(file: string, text: string): string[] {
  const found = new Set<string>()
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2]
    if (!specifier.startsWith('.')) continue
    const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))
    if (existsSync(target)) found.add(target)
  }

  return [...found]
}

/** Every cycle's files, one cycle for each strongly connected part of more than one file (or a self-import). */
export function cycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components.
  let index = 0
  const indexOf = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string) => {
    indexOf.set(node, index)
    low.set(node, index)
    index++
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indexOf.get(next)!))
    }

    if (low.get(node) !== indexOf.get(node)) return
    const part: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      part.push(member)
    } while (member !== node)
    if (part.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(part.sort())
  }

  for (const node of graph.keys()) if (!indexOf.has(node)) visit(node)
  return found
}

/** One cycle through `part` (a strongly connected set), as the files in import order, back to the first. */
export function cyclePath(graph: Map<string, string[]>, part: string[]): string[] {
  const members = new Set(part)
  const start = part[0]
  const from = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const node = queue.shift()!
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue
      if (next === start) {
        const path = [node]
        while (path[0] !== start) path.unshift(from.get(path[0])!)
        return [...path, start]
      }

      if (!from.has(next)) {
        from.set(next, node)
        queue.push(next)
      }
    }
  }

  return part
}

describe('imports of src/', () => {
  it('reads imports, exports and dynamic imports, and finds a cycle through them', () => {
    const file = join(SRC, 'lib', 'a.ts')
    const text = [
      "import type {A} from './errors.js'",
      "export {B} from './index.js'",
      "const c = await import('./errors.js')",
      "import {x} from 'node:fs'",
    ].join('\n')
    assert.deepEqual(
      importsOf(file, text)
        .map((path) => relative(SRC, path))
        .sort(),
      ['lib/errors.ts', 'lib/index.ts'],
    )
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
      ['e', ['e']],
    ])
    assert.deepEqual(cycles(graph), [['a', 'b', 'c'], ['e']])
    assert.deepEqual(cyclePath(graph, ['a', 'b', 'c']), ['a', 'b', 'c', 'a'])
  })

  it('hold no cycle', () => {
    const graph = new Map<string, string[]>()
    for (const file of sourceFiles(SRC)) graph.set(file, importsOf(file, readFileSync(file, 'utf8')))
    assert.ok(graph.size > 50, `read ${graph.size} files`)
    const named = cycles(graph).map((part) =>
      cyclePath(graph, part)
        .map((path) => relative(PROJECT_ROOT, path))
        .join(' -> '),
    )
    assert.deepEqual(named, [], `import cycles:\n${named.join('\n')}`)
  })
})
