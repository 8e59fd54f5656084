import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {PROJECT_ROOT} from '../test/helpers/cli.js'

/**
 * A user data directory with the Hetzner plugin installed as users install it: the plugin packed
 * (its prepack builds oclif.manifest.json), then `hyops plugins install <tarball>` with npm
 * offline. Returns the environment that points hyops at it, and how to remove it all.
 */
export function environmentWithPluginInstalled(): {env: NodeJS.ProcessEnv; remove: () => void} {
  const home = mkdtempSync(join(tmpdir(), 'hyops-bench-home-'))
  const packDir = mkdtempSync(join(tmpdir(), 'hyops-bench-pack-'))
  const env = {...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CACHE_HOME: join(home, 'cache')}
  must('npm', ['pack', '--silent', '--pack-destination', packDir], join(PROJECT_ROOT, 'plugins', 'hetzner'), env)
  const [tarball] = readdirSync(packDir).filter((name) => name.endsWith('.tgz'))
  const cli = join(PROJECT_ROOT, 'bin', 'run.js')
  must(process.execPath, [cli, 'plugins', 'install', join(packDir, tarball)], home, {
    ...env,
    npm_config_offline: 'true',
  })
  return {
    env,
    remove() {
      for (const dir of [home, packDir]) rmSync(dir, {force: true, recursive: true})
    },
  }
}

function must(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): void {
  const result = spawnSync(command, args, {cwd, encoding: 'utf8', env})
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
}
