import {spawnSync} from 'node:child_process'

/**
 * Fails the test at once, in one line naming the Debian package to install, when a tool it
 * drives is not on this machine (instead of a raw `spawn tmux ENOENT` deep inside the test).
 * `.ci/run` installs every package named here.
 */
export function requireTool(command: string, debianPackage: string): void {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], {stdio: 'ignore'})
  if (found.status !== 0) {
    throw new Error(
      `this test needs '${command}': install the Debian package ${debianPackage} (apt-get install ${debianPackage})`,
    )
  }
}
