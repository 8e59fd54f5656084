// Keeps the README's command reference in step with the commands' own help:
//   node --import tsx scripts/readme-commands.ts          rewrites the section
//   node --import tsx scripts/readme-commands.ts --check  exits 1 when it is stale
// The section sits between <!-- commands --> and <!-- commandsstop --> in README.md.
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {CLI, PROJECT_ROOT} from '../test/helpers/cli.js'

/** The commands of the core package, in reading order. */
export const DOCUMENTED_COMMANDS = [
  'init proxmox',
  'init status',
  'vault keys',
  'vault get',
  'vault set',
  'vault unset',
  'env',
  'exec',
  'revoke',
]

const START = '<!-- commands -->'
const STOP = '<!-- commandsstop -->'

function helpOf(command: string): string {
  const env = {HOME: '/nonexistent', LANG: 'C.UTF-8', NO_COLOR: '1', OCLIF_COLUMNS: '100', PATH: process.env.PATH ?? ''}
  return execFileSync(process.execPath, [CLI, ...command.split(' '), '--help'], {encoding: 'utf8', env}).trimEnd()
}

/** The generated section, markers included. */
export function commandReference(): string {
  const parts = DOCUMENTED_COMMANDS.map((command) => `### \`hyops ${command}\`\n\n\`\`\`\n${helpOf(command)}\n\`\`\``)
  return `${START}\n${parts.join('\n\n')}\n${STOP}`
}

/** README.md with its command section replaced. */
export function readmeWithReference(readme: string, reference: string): string {
  const start = readme.indexOf(START)
  const stop = readme.indexOf(STOP)
  if (start < 0 || stop < start) throw new Error(`README.md has no ${START} ... ${STOP} section`)
  return readme.slice(0, start) + reference + readme.slice(stop + STOP.length)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = join(PROJECT_ROOT, 'README.md')
  const readme = readFileSync(path, 'utf8')
  const updated = readmeWithReference(readme, commandReference())
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md command reference is stale: run npm run readme')
      process.exit(1)
    }
  } else writeFileSync(path, updated)
}
