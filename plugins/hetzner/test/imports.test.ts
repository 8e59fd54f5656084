import assert from 'node:assert/strict'
import {readdir, readFile} from 'node:fs/promises'
import {builtinModules} from 'node:module'
import {dirname, join, relative, resolve, sep} from 'node:path'
import {describe, it} from 'node:test'
import ts from 'typescript'

import {PLUGIN_ROOT} from './helpers/paths.js'

const SRC = join(PLUGIN_ROOT, 'src')

/** Every module specifier a file imports, re-exports or loads with import(). */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName)
}

/** Why `specifier` in `file` breaks the plugin's boundary, or undefined when it is allowed. */
function violation(file: string, specifier: string, declared: ReadonlySet<string>): string | undefined {
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(file), specifier)
    return target === SRC || target.startsWith(SRC + sep)
      ? undefined
      : 'a relative import that leaves the plugin (use the public exports of hyops)'
  }

  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return undefined
  if (specifier === 'hyops') return undefined
  if (specifier.startsWith('hyops/')) return 'a deep import into hyops (only the package root is public)'
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]
  if (!declared.has(name)) return `${name} is not a dependency or peer dependency in the plugin's package.json`
  return name === specifier ? undefined : `a subpath of ${name}`
}

/** The module specifiers a file loads at run time: type-only imports and exports are left out. */
function runtimeSpecifiers(text: string): string[] {
  const source = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest)
  const found: string[] = []
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) {
      found.push((statement.moduleSpecifier as ts.StringLiteral).text)
    } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier) {
      found.push((statement.moduleSpecifier as ts.StringLiteral).text)
    }
  }

  return found
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
}

async function declaredPackages(): Promise<Set<string>> {
  const pjson = JSON.parse(await readFile(join(PLUGIN_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: object
    peerDependencies?: object
  }
  return new Set([...Object.keys(pjson.dependencies ?? {}), ...Object.keys(pjson.peerDependencies ?? {})])
}

describe('the plugin is built only on the public SDK of hyops', () => {
  it('imports from hyops only through its package root, and nothing undeclared', async () => {
    const declared = await declaredPackages()
    const files = await sourceFiles(SRC)
    assert.ok(files.length >= 5, 'the scan found the sources')
    const problems: string[] = []
    let fromHyops = 0
    for (const file of files) {
      for (const specifier of specifiers(await readFile(file, 'utf8'))) {
        if (specifier === 'hyops') fromHyops++
        const why = violation(file, specifier, declared)
        if (why) problems.push(`${relative(PLUGIN_ROOT, file)}: '${specifier}': ${why}`)
      }
    }

    assert.deepEqual(problems, [])
    assert.ok(fromHyops > 0, 'the plugin does use the SDK')
  })

  it('declares hyops as its peer and @oclif/core as an optional one, so the CLI provides both', async () => {
    const pjson = JSON.parse(await readFile(join(PLUGIN_ROOT, 'package.json'), 'utf8'))
    assert.ok(pjson.peerDependencies?.hyops)
    assert.equal(pjson.peerDependenciesMeta?.hyops?.optional, undefined, 'npm must see the CLI as the peer')
    assert.ok(pjson.peerDependencies?.['@oclif/core'])
    assert.equal(pjson.peerDependenciesMeta?.['@oclif/core']?.optional, true, 'npm must not fetch an @oclif/core')
    assert.equal(pjson.dependencies?.hyops, undefined)
    assert.equal(pjson.dependencies?.['@oclif/core'], undefined)
  })

  it('loads nothing of @oclif/core at run time (Flags, Args and the rest come from hyops)', async () => {
    const problems: string[] = []
    for (const file of await sourceFiles(SRC)) {
      for (const specifier of runtimeSpecifiers(await readFile(file, 'utf8'))) {
        if (specifier === '@oclif/core' || specifier.startsWith('@oclif/core/'))
          problems.push(`${relative(PLUGIN_ROOT, file)}: a value import of '${specifier}' (import it from hyops)`)
      }
    }

    assert.deepEqual(problems, [])
    assert.deepEqual(
      runtimeSpecifiers(`import type {Hook} from '@oclif/core'\nimport {Flags} from '@oclif/core'\nexport * from 'x'`),
      ['@oclif/core', 'x'],
    )
  })

  it('catches the imports it forbids (the scanner itself)', () => {
    const file = join(SRC, 'lib', 'x.ts')
    const declared = new Set(['@oclif/core', 'hyops'])
    const found = specifiers(
      `import a from '../../../../src/lib/errors.js'\nexport * from 'hyops/dist/lib/errors.js'\n` +
        `const m = await import('left-pad')\nimport {b} from './y.js'\n` +
        `import type {C} from 'hyops'\nimport '@oclif/core/hooks'`,
    )
    assert.deepEqual(found, [
      '../../../../src/lib/errors.js',
      'hyops/dist/lib/errors.js',
      'left-pad',
      './y.js',
      'hyops',
      '@oclif/core/hooks',
    ])
    assert.deepEqual(
      found.map((specifier) => violation(file, specifier, declared) !== undefined),
      [true, true, true, false, false, true],
    )
  })
})
