// A built copy of the previous release (main before the privilege profiles, or HYOPS_BENCH_BASELINE=<rev>), run
// beside this checkout in the same benchmark. Built once per commit under node_modules/.cache.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, rmSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'

import {PROJECT_ROOT} from '../test/helpers/cli.js'

// 62f8944: main before the privilege profiles (a commit, not a tag: a clone has its commits, not always its tags).
export const BASELINE_REV = process.env.HYOPS_BENCH_BASELINE ?? '62f8944982552d5879366722843a4845adb6ba10'

/** The previous release's `bin/run.js`, built; undefined (with the reason) when the rev is not in this clone. */
export function previousReleaseCli(): {cli?: string; label: string; why?: string} {
  let commit: string
  try {
    commit = execFileSync('git', ['rev-parse', '--verify', `${BASELINE_REV}^{commit}`], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return {
      label: BASELINE_REV.slice(0, 12),
      why: `${BASELINE_REV} is not in this clone (git fetch --tags, or set HYOPS_BENCH_BASELINE)`,
    }
  }

  const dir = join(PROJECT_ROOT, 'node_modules', '.cache', 'hyops-bench-baseline', commit)
  const cli = join(dir, 'bin', 'run.js')
  const label = process.env.HYOPS_BENCH_BASELINE
    ? `${BASELINE_REV} (${commit.slice(0, 7)})`
    : `main before the privilege profiles (${commit.slice(0, 7)})`
  if (existsSync(join(dir, 'dist', 'commands'))) return {cli, label}
  rmSync(dir, {force: true, recursive: true})
  mkdirSync(dir, {recursive: true})
  execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C "$0"`, dir], {cwd: PROJECT_ROOT})
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'))
  execFileSync(
    process.execPath,
    [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    {
      cwd: dir,
    },
  )
  execFileSync(process.execPath, ['scripts/copy-assets.mjs'], {cwd: dir})
  return {cli, label}
}
