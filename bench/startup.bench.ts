import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {PROJECT_ROOT} from '../test/helpers/cli.js'
import {compare, report, runCommand, type BenchReport} from './measure.js'
import {environmentWithPluginInstalled} from './plugin-installed.js'

/** Startup of `hyops --version` and `hyops init status`, with a provider plugin installed, against bare `node -e 0`. */
export async function bench(): Promise<BenchReport[]> {
  const root = mkdtempSync(join(tmpdir(), 'hyops-bench-'))
  mkdirSync(join(root, 'meta'), {recursive: true})
  writeFileSync(
    join(root, 'meta', 'proxmox.ready.json'),
    JSON.stringify({generated_at: 'now', run_id: 'init-proxmox-x', status: 'ready', target: 'proxmox'}),
  )
  const cli = join(PROJECT_ROOT, 'bin', 'run.js')
  const {env, remove} = environmentWithPluginInstalled()
  const node = () => runCommand([process.execPath, '-e', '0'])
  const version = await compare(node, () => runCommand([process.execPath, cli, '--version'], {env}))
  const status = await compare(node, () => runCommand([process.execPath, cli, 'init', 'status', '--root', root], {env}))
  remove()
  rmSync(root, {force: true, recursive: true})
  return [
    report(
      'startup: hyops --version (plugin installed)',
      {label: 'node -e 0', ms: version.baselineMs},
      {label: 'hyops --version', ms: version.subjectMs},
      '<= 3x',
      (r) => r <= 3,
    ),
    report(
      'startup: hyops init status (plugin installed)',
      {label: 'node -e 0', ms: status.baselineMs},
      {label: 'hyops init status', ms: status.subjectMs},
      '<= 3x',
      (r) => r <= 3,
    ),
  ]
}
