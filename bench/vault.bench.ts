import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {openVault} from '../src/lib/vault/open-vault.js'
import {compare, report, runCommand, type BenchReport} from './measure.js'

/**
 * One read-merge-write cycle of the runtime vault through the library (open, decrypt, merge,
 * encrypt, atomic replace under the lock), in process, against `ansible-vault view` of the
 * same file alone. Target: at least 10x faster.
 */
export async function bench(): Promise<BenchReport[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hyops-bench-vault-'))
  const passwordFile = join(dir, 'vault-pass')
  writeFileSync(passwordFile, 'bench vault password\n', {mode: 0o600})
  const vaultFile = join(dir, 'vault', 'bootstrap.vault.env')
  const seed = await openVault({environment: {}, interactive: false, passwordFile, vaultFile})
  await seed.update(
    Object.fromEntries(Array.from({length: 12}, (_, i) => [`SECRET_${i}`, `value ${i} "quoted" \\ with = and\nlines`])),
  )

  const env = {HOME: dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', PATH: process.env.PATH ?? '/usr/bin:/bin'}
  const view = () => runCommand(['ansible-vault', 'view', '--vault-password-file', passwordFile, vaultFile], {env})
  let round = 0
  const cycle = async () => {
    const vault = await openVault({environment: {}, interactive: false, passwordFile, vaultFile})
    await vault.update({ROTATING: `round ${round++}`})
  }

  const {baselineMs, subjectMs} = await compare(view, cycle)
  return [
    report(
      'vault: read-merge-write cycle',
      {label: 'ansible-vault view', ms: baselineMs},
      {label: 'openVault + update (in process)', ms: subjectMs},
      '>= 10x faster',
      (r) => r <= 0.1,
    ),
  ]
}
