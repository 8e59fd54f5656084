import {stat} from 'node:fs/promises'
import {resolve} from 'node:path'

/** What `@oclif/plugin-plugins` parsed from the argument of `plugins install` (its preinstall hook's `plugin`). */
export type PluginSource = {name: string; tag: string; type: 'npm'} | {type: 'repo'; url: string}

const GITHUB = 'https://github.com/'

const TARBALL = /\.(tgz|tar\.gz)$/
const PATH_LIKE = /^(\.{1,2})?\//

/**
 * The local path an install argument names, when it names an existing file or directory:
 * `./plugin` and `dir/plugin.tgz` (which plugin-plugins reads as GitHub `owner/repo`), `file:x`
 * (which npm would read relative to the data directory it runs in, not the operator's), an
 * absolute path, and a bare `plugin-1.0.0.tgz` (read as an npm package name). `owner/repo`
 * and a bare name stay what plugin-plugins made of them.
 */
export async function localPathOf(source: PluginSource, cwd: string): Promise<string | undefined> {
  let candidate: string | undefined
  if (source.type === 'npm') candidate = source.tag === 'latest' && TARBALL.test(source.name) ? source.name : undefined
  else if (source.url.startsWith('file:')) candidate = source.url.slice('file:'.length)
  else if (source.url.startsWith(GITHUB)) {
    const rest = source.url.slice(GITHUB.length)
    candidate = PATH_LIKE.test(rest) || TARBALL.test(rest) ? rest : undefined
  }
  if (candidate === undefined || candidate === '') return undefined
  const path = resolve(cwd, candidate)
  return (await stat(path).then(
    () => true,
    () => false,
  ))
    ? path
    : undefined
}

/**
 * Points a parsed install argument that names a local tarball or folder at its absolute
 * `file:` URL, which npm installs from disk in the data directory. Returns the path, or
 * undefined when the argument is not a local path (a registry name or a git URL stays as it is).
 */
export async function useLocalPath(source: PluginSource, cwd: string): Promise<string | undefined> {
  const path = await localPathOf(source, cwd)
  if (path === undefined) return undefined
  const repo = source as {type: string; url?: string; name?: string; tag?: string}
  repo.type = 'repo'
  repo.url = `file:${path}`
  delete repo.name
  delete repo.tag
  return path
}
