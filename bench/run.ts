// npm run bench: runs every bench/*.bench.ts and prints each subject against its baseline,
// measured in the same run. Exit 0 whatever the verdicts: benchmarks inform, tests decide.
import {readdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import type {BenchReport} from './measure.js'

const here = dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
const reports: BenchReport[] = []
for (const file of files) {
  const module = (await import(pathToFileURL(join(here, file)).href)) as {bench: () => Promise<BenchReport[]>}
  process.stderr.write(`running ${file}...\n`)
  for (const r of await module.bench()) {
    reports.push(r)
    console.log(
      `${r.name}\n  baseline  ${r.baseline.label}: ${r.baseline.ms.toFixed(1)} ms\n` +
        `  subject   ${r.subject.label}: ${r.subject.ms.toFixed(1)} ms\n` +
        `  ratio     ${r.ratio.toFixed(2)}x (target ${r.target}) ${r.pass ? 'PASS' : 'MISS'}`,
    )
  }
}

console.log(`\n${reports.filter((r) => r.pass).length} of ${reports.length} benchmarks meet their targets`)
