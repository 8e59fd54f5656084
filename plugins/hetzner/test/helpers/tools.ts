import {spawnSync} from 'node:child_process'

/**
 * Fails the test at once, in one line naming the Debian package to install, when a tool it
 * drives is not on this machine (the plugin's copy of the core's test/helpers/tools.ts: the
 * plugin is its own package and type-checks on its own).
 */
export function requireTool(command: string, debianPackage: string): void {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], {stdio: 'ignore'})
  if (found.status !== 0) {
    throw new Error(
      `this test needs '${command}': install the Debian package ${debianPackage} (apt-get install ${debianPackage})`,
    )
  }
}
