import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {SIM_CA_FILE} from './hcloud-sim.js'
import {tempDir} from './hyops-cli.js'

/** A runtime root whose `config/hetzner.conf` points at the simulated API and trusts its CA. */
export async function rootForSim(apiUrl: string, extraLines: string[] = []): Promise<string> {
  const root = await tempDir('hyops-root-')
  await mkdir(join(root, 'config'), {mode: 0o700})
  await writeFile(
    join(root, 'config', 'hetzner.conf'),
    [`HCLOUD_API=${apiUrl}`, `HCLOUD_CA_FILE=${SIM_CA_FILE}`, ...extraLines, ''].join('\n'),
  )
  return root
}

/** Every file under `dir` (recursively), with its text; empty when `dir` does not exist. */
export async function filesUnder(dir: string): Promise<Array<{path: string; text: string}>> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => [])
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
  return Promise.all(files.map(async (path) => ({path, text: await readFile(path, 'utf8')})))
}
