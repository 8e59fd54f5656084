import assert from 'node:assert/strict'
import {readdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'

import {ExitCode, HyopsError} from '../../../src/lib/errors.js'
import {Evidence} from '../../../src/lib/runtime/evidence.js'
import {Redactor} from '../../../src/lib/runtime/redact.js'
import {newRunId} from '../../../src/lib/runtime/run-id.js'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.js'

after(cleanupTempDirs)

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await allFiles(path)))
    else out.push(path)
  }

  return out
}

describe('evidence', () => {
  it('run ids follow init-<target>-<UTC stamp>-<8 hex>', () => {
    assert.match(
      newRunId('proxmox', new Date('2026-01-02T03:04:05.678Z')),
      /^init-proxmox-20260102T030405Z-[0-9a-f]{8}$/,
    )
    assert.notEqual(newRunId('x'), newRunId('x'))
  })

  it('never persists a secret it was given, by value or by pattern', async () => {
    const dir = join(await tempDir(), 'run')
    const secret = 'a3f1c0de-5ecr-e7ab-9f00-1234567890ab'
    const patterned = 'zz-not-registered-xyz-42'
    const redactor = new Redactor()
    redactor.addSecret(secret)
    const evidence = await Evidence.start({dir, redactor, runId: 'init-t-1', target: 't'})
    await evidence.record({inputs: {note: `the secret is ${secret}`, password: patterned, token_name: 'infra-token'}})
    await evidence.step(
      'bootstrap',
      async () => `EXPORT:TOKEN_SECRET=${patterned}`,
      (out) => out,
    )
    await evidence.step(
      'validate',
      async () => 0,
      () => `Authorization: PVEAPIToken=automation@pam!infra-token=${patterned}`,
    )
    await assert.rejects(
      evidence.step('fails', async () => {
        throw new HyopsError(ExitCode.Remote, `ssh said ${secret} and HCLOUD_TOKEN=${patterned}`)
      }),
    )
    evidence.fileWritten('/tmp/x.tfvars')
    await evidence.finish(ExitCode.Remote, `failed with secret=${patterned} ${JSON.stringify({s: secret + '\n'})}`)

    const files = await allFiles(dir)
    assert.deepEqual(files.map((f) => f.slice(dir.length + 1)).sort(), ['files.json', 'meta.json', 'steps.jsonl'])
    for (const file of files) {
      const text = await readFile(file, 'utf8')
      assert.ok(!text.includes(secret), `${file} holds the secret`)
      assert.ok(!text.includes(patterned), `${file} holds the patterned secret`)
      assert.equal((await stat(file)).mode & 0o777, 0o600)
    }

    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'))
    assert.equal(meta.run_id, 'init-t-1')
    assert.equal(meta.status, 'failed')
    assert.equal(meta.exit_code, 20)
    assert.equal(meta.inputs.token_name, 'infra-token', 'non-secret names are kept')
    const steps = (await readFile(join(dir, 'steps.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.deepEqual(
      steps.map((s) => [s.step, s.result, s.exit_code]),
      [
        ['bootstrap', 'ok', 0],
        ['validate', 'ok', 0],
        ['fails', 'failed', 20],
      ],
    )
    assert.ok(steps.every((s) => typeof s.duration_ms === 'number'))
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'files.json'), 'utf8')), ['/tmp/x.tfvars'])
    assert.equal((await stat(dir)).mode & 0o777, 0o700)
  })
})
