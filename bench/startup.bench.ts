import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {PROJECT_ROOT} from '../test/helpers/cli.js'
import {compare, report, runCommand, type BenchReport} from './measure.js'

/** Startup of `hyops --version` and `hyops init status` against bare `node -e 0`. */
export async function bench(): Promise<BenchReport[]> {
  const root = mkdtempSync(join(tmpdir(), 'hyops-bench-'))
  mkdirSync(join(root, 'meta'), {recursive: true})
  writeFileSync(
    join(root, 'meta', 'proxmox.ready.json'),
    JSON.stringify({generated_at: 'now', run_id: 'init-proxmox-x', status: 'ready', target: 'proxmox'}),
  )
  const cli = join(PROJECT_ROOT, 'bin', 'run.js')
  const node = () => runCommand([process.execPath, '-e', '0'])
  const version = await compare(node, () => runCommand([process.execPath, cli, '--version']))
  const status = await compare(node, () => runCommand([process.execPath, cli, 'init', 'status', '--root', root]))
  return [
    report(
      'startup: hyops --version',
      {label: 'node -e 0', ms: version.baselineMs},
      {label: 'hyops --version', ms: version.subjectMs},
      '<= 4x',
      (r) => r <= 4,
    ),
    report(
      'startup: hyops init status',
      {label: 'node -e 0', ms: status.baselineMs},
      {label: 'hyops init status', ms: status.subjectMs},
      '<= 4x',
      (r) => r <= 4,
    ),
  ]
}
