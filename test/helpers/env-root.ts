// Shared set-up of the `hyops env` / `hyops exec` tests: a root made ready by `init proxmox`
// on the simulated host whose token secret is a hostile string (quotes, $, backticks,
// backslash, spaces), the same secret on the host, in the vault and in the credentials file.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {readdir, readFile} from 'node:fs/promises'

import {renderProxmoxTfvars, type ProxmoxTfvars} from '../../src/lib/proxmox/outputs/tfvars.js'
import {writeFileSafely} from '../../src/lib/runtime/safe-write.js'
import {openVault} from '../../src/lib/vault/open-vault.js'
import type {PveSim} from '../fixtures/pve-sim/index.js'
import {CLI, PROJECT_ROOT} from './cli.js'
import {initProxmox, prepareRoot, readTfvars, type ProxmoxRoot} from './proxmox-env.js'

/** A secret no shell may mangle: both quotes, `$` and `${`, backticks, a backslash, spaces, a `!`. */
export const HOSTILE_SECRET = `it's "a" $HOME \`id\` \${x} back\\slash  two  !x ;|&`

/**
 * A root through `init proxmox` whose token secret is `secret`. init makes the token; since
 * init refuses a secret with spaces (a real Proxmox secret is a UUID), the secret is then
 * seeded where init keeps it: the host's token, the vault and the credentials file
 * (re-rendered by the same writer init uses, mode 0600). The simulated API, like Proxmox,
 * authenticates no secret with spaces: use `readyRoot` for a root whose token the API takes.
 */
export async function readyRootWithSecret(
  sim: PveSim,
  secret: string,
  extraConfig?: Record<string, string | number | undefined>,
): Promise<ProxmoxRoot> {
  const at = await prepareRoot(sim, {extraConfig})
  const first = await initProxmox(at)
  assert.equal(first.code, 0, first.stderr)
  await sim.updateState((state) => void (state.tokens[at.tokenId].secret = secret))
  const vault = await openVault({interactive: false, passwordFile: at.passwordFile, vaultFile: at.vaultFile})
  await vault.update({PROXMOX_TOKEN_SECRET: secret})
  const values = (await readTfvars(at)).values
  await writeFileSafely(
    at.credentialsFile,
    renderProxmoxTfvars({...(values as unknown as ProxmoxTfvars), proxmox_token_secret: secret}),
  )
  assert.equal((await readTfvars(at)).values.proxmox_token_secret, secret, 'the credentials file has the secret')
  return at
}

/** A root through `init proxmox` as it is, and its secret (the host's UUID). */
export async function readyRoot(
  sim: PveSim,
  extraConfig?: Record<string, string | number | undefined>,
): Promise<{at: ProxmoxRoot; secret: string}> {
  const at = await prepareRoot(sim, {extraConfig})
  const run = await initProxmox(at)
  assert.equal(run.code, 0, run.stderr)
  return {at, secret: (await sim.readState()).tokens[at.tokenId].secret}
}

/** The argv of `hyops env|exec <args> --root <root> --vault-password-file <file>`. */
export function hyopsArgs(at: ProxmoxRoot, command: 'env' | 'exec', args: string[]): string[] {
  const dashes = args.indexOf('--')
  const own = dashes === -1 ? args : args.slice(0, dashes)
  const rest = dashes === -1 ? [] : args.slice(dashes)
  return [command, ...own, '--root', at.root, '--vault-password-file', at.passwordFile, ...rest]
}

/** The environment of a shell run: only these, so the tests see what hyops added. */
export function minimalEnv(at: ProxmoxRoot, extra: Record<string, string> = {}): Record<string, string> {
  return {HOME: at.home, LANG: 'C.UTF-8', NO_COLOR: '1', PATH: process.env.PATH ?? '/usr/bin:/bin', ...extra}
}

/**
 * Runs `<shell> -c 'eval "$(hyops env ...)"; dump'` and returns the variables the eval added
 * (the environment a child of the shell sees, minus that of the same script without the eval).
 */
export async function evalInShell(
  shell: string,
  at: ProxmoxRoot,
  envArgs: string[],
): Promise<{added: Record<string, string>; stderr: string}> {
  const dump = `exec node -e 'process.stdout.write(JSON.stringify(process.env))'`
  const run = async (script: string) => {
    const {code, stdout, stderr} = await spawnCollect(
      shell,
      ['-c', script, shell, process.execPath, CLI, ...hyopsArgs(at, 'env', envArgs)],
      minimalEnv(at),
    )
    assert.equal(code, 0, stderr)
    return {env: JSON.parse(stdout) as Record<string, string>, stderr}
  }

  const before = await run(`: "$@"; ${dump}`)
  const after = await run(`eval "$("$@")"; ${dump}`)
  const added: Record<string, string> = {}
  for (const [name, value] of Object.entries(after.env)) if (!(name in before.env)) added[name] = value
  return {added, stderr: after.stderr}
}

/** Spawns a process with pipes; resolves when it ends. */
export function spawnCollect(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr, stdout})
    })
  })
}

/** The pids whose parent is `pid` (from /proc). */
export async function childPids(pid: number): Promise<number[]> {
  const out: number[] = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')
    // pid (comm) state ppid ...; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (ppid === pid) out.push(Number(name))
  }

  return out
}

/** The argv of a running process, from /proc/<pid>/cmdline. */
export async function cmdline(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8')
  return raw.split('\0').filter((part, i, all) => part !== '' || i < all.length - 1)
}
