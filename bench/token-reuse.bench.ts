import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {validateProxmoxToken} from '../src/lib/proxmox/api/validation.js'
import {findReusableToken, type TokenReuseQuery} from '../src/lib/proxmox/token-reuse/scan.js'
import {openVault} from '../src/lib/vault/open-vault.js'
import {startPveSim} from '../test/fixtures/pve-sim/index.js'
import {compare, report, type BenchReport} from './measure.js'

const TOKEN = 'automation@pam!infra-token'
const STALE_DELAY_MS = 3000

/**
 * Acceptance 6 of issue 5: 200 sibling envs (120 decoys for other hosts, token ids and ports,
 * all holding the valid secret; 39 garbage or empty ones; 40 with a stale secret for this very
 * host and token, which the simulated API refuses only after 3 s; and the valid source, the
 * oldest of all, its secret only in its vault). Subject: the whole scan, which must find the
 * valid one; baseline: one validation of the valid token. Target: the scan under 1 s.
 */
export async function bench(): Promise<BenchReport[]> {
  const valid = randomBytes(18).toString('hex')
  const sim = await startPveSim({
    state: {
      acls: [{path: '/', propagate: 1, roles: ['PVEAdmin'], type: 'user', ugid: 'automation@pam'}],
      faults: {bad_token_delay_ms: STALE_DELAY_MS},
      tokens: {[TOKEN]: {expire: 0, privsep: 0, secret: valid}},
      users: {'automation@pam': {enable: 1}, 'root@pam': {enable: 1}},
    },
  })
  const dir = mkdtempSync(join(tmpdir(), 'hyops-bench-reuse-'))
  try {
    const passwordFile = join(dir, 'vault-pass')
    writeFileSync(passwordFile, 'bench vault password\n', {mode: 0o600})
    const envsDir = join(dir, 'envs')
    const root = join(envsDir, 'self')
    mkdirSync(root, {recursive: true})
    const caPem = readFileSync(sim.caFile, 'utf8')
    const url = `https://127.0.0.1:${sim.apiPort}/api2/json`
    const now = Date.now() / 1000
    const env = async (
      name: string,
      options: {url?: string; tokenId?: string; secret?: string; vaultSecret?: string; age: number},
    ) => {
      const credentials = join(envsDir, name, 'credentials')
      mkdirSync(credentials, {recursive: true})
      const lines = [
        `proxmox_url = "${options.url ?? url}"`,
        `proxmox_token_id = "${options.tokenId ?? TOKEN}"`,
        'proxmox_node = "pve1"',
        'storage_snippets = "local"',
      ]
      if (options.secret) lines.push(`proxmox_token_secret = "${options.secret}"`)
      writeFileSync(join(credentials, 'proxmox.credentials.tfvars'), lines.join('\n') + '\n', {mode: 0o600})
      utimesSync(join(credentials, 'proxmox.credentials.tfvars'), now - options.age, now - options.age)
      if (options.vaultSecret) {
        const vault = await openVault({
          environment: {},
          interactive: false,
          passwordFile,
          vaultFile: join(envsDir, name, 'vault', 'bootstrap.vault.env'),
        })
        await vault.update({PROXMOX_TOKEN_SECRET: options.vaultSecret})
      }
    }

    for (let i = 0; i < 40; i++) {
      const stale = () => randomBytes(18).toString('hex')
      await env(`stale-${i}`, {age: i * 60, secret: stale(), ...(i % 2 === 0 ? {vaultSecret: stale()} : {})})
      await env(`host-${i}`, {age: i, secret: valid, url: `https://10.0.${i}.1:${sim.apiPort}/api2/json`})
      await env(`token-${i}`, {age: i, secret: valid, tokenId: `automation@pam!other-${i}`})
      await env(`port-${i}`, {age: i, secret: valid, url: `https://127.0.0.1:${sim.apiPort + 1 + i}/api2/json`})
    }

    for (let i = 0; i < 39; i++) {
      const credentials = join(envsDir, `garbage-${i}`, 'credentials')
      mkdirSync(credentials, {recursive: true})
      const file = join(credentials, 'proxmox.credentials.tfvars')
      if (i % 3 === 0) writeFileSync(file, randomBytes(300))
      else if (i % 3 === 1) writeFileSync(file, 'proxmox_url = [1, 2\n')
      else mkdirSync(file)
    }

    await env('valid', {age: 86_400, vaultSecret: valid})

    const query: TokenReuseQuery = {
      apiPort: sim.apiPort,
      apiUrl: url,
      caPem,
      hosts: ['127.0.0.1'],
      root,
      tlsSkip: false,
      tokenId: TOKEN,
      vault: {environment: {}, passwordFile},
    }
    let lastFound: string | undefined
    const scan = async () => {
      const result = await findReusableToken(query)
      lastFound = result.found?.envName
      if (result.envs !== 200 || lastFound !== 'valid')
        throw new Error(`the scan of ${result.envs} envs found ${lastFound ?? 'nothing'}`)
    }

    const single = () =>
      validateProxmoxToken({
        apiUrl: url,
        caPem,
        node: 'pve1',
        secret: valid,
        storage: 'local',
        tlsSkip: false,
        tokenId: TOKEN,
      })
    const {baselineMs, subjectMs} = await compare(single, scan, 5)
    return [
      report(
        'token reuse: scan of 200 sibling envs (40 stale, 401 after 3 s)',
        {label: 'one validation of the valid token', ms: baselineMs},
        {label: `findReusableToken (found "${lastFound}")`, ms: subjectMs},
        'scan < 1000 ms',
        () => subjectMs < 1000,
      ),
    ]
  } finally {
    await sim.stop()
    rmSync(dir, {force: true, recursive: true})
  }
}
