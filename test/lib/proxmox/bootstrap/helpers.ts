import {spawn} from 'node:child_process'
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {profilePrivileges} from '../../../../src/lib/proxmox/permissions/profiles.js'
import type {ProxmoxInputs} from '../../../../src/lib/proxmox/types.js'
import type {SshExecOptions, SshExecResult, SshSession} from '../../../../src/lib/ssh/connection.js'
import {envPrefix} from '../../../../src/lib/ssh/shell-quote.js'

/** The permission inputs' defaults (PRIVILEGE_PROFILE terraform, ROLE_NAME HyopsAutomation, ...). */
export const PERMISSION_INPUTS = {
  privilegeProfile: 'terraform',
  privileges: profilePrivileges('terraform'),
  roleName: 'HyopsAutomation',
  tokenComment: 'hyops automation (Terraform/Packer)',
  tokenExpireDays: 0,
  tokenRenewDays: 14,
  tokenPrivsep: false,
} satisfies Partial<ProxmoxInputs>

/** Inputs as the command would resolve them for the simulated host. */
export function testInputs(overrides: Partial<ProxmoxInputs> = {}): ProxmoxInputs {
  const userFq = overrides.userFq ?? 'hyops@pve'
  const tokenName = overrides.tokenName ?? 'hyops'
  return {
    apiPort: 8006,
    fallbackBridge: 'vmbr0',
    fallbackStorageIso: 'local',
    fallbackStorageSnippets: 'local',
    fallbackStorageVm: 'local-lvm',
    host: '127.0.0.1',
    httpPort: 8802,
    ...PERMISSION_INPUTS,
    sources: {},
    sshKey: '/nonexistent/id_ed25519',
    sshPort: 22,
    sshUsername: 'root',
    tlsSkip: true,
    tokenId: `${userFq}!${tokenName}`,
    tokenName,
    userFq,
    ...overrides,
  }
}

/**
 * An SshSession that runs each command with real bash on this machine (`bash -c <command>`,
 * stdin piped), with `pathDirs` first in PATH: the bootstrap script against stub commands,
 * without an SSH server in between. Every command line is kept in `commands`.
 */
export function localBashSession(
  pathDirs: string[],
  env: Record<string, string> = {},
): SshSession & {commands: string[]} {
  const commands: string[] = []
  return {
    commands,
    dispose() {},
    async exec(command: string, options: SshExecOptions = {}): Promise<SshExecResult> {
      const line = options.env ? `${envPrefix(options.env)} ${command}` : command
      commands.push(line)
      return new Promise((resolve, reject) => {
        const child = spawn('bash', ['-c', line], {
          env: {LANG: 'C.UTF-8', PATH: [...pathDirs, '/usr/local/bin', '/usr/bin', '/bin'].join(':'), ...env},
          stdio: ['pipe', 'pipe', 'pipe'],
        })
        const out: Buffer[] = []
        const err: Buffer[] = []
        child.stdout.on('data', (chunk: Buffer) => {
          if (options.keepStdout !== false) out.push(chunk)
          options.onStdout?.(chunk)
        })
        options.abort?.addEventListener('abort', () => child.kill('SIGTERM'), {once: true})
        const timer =
          options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), options.timeoutMs)
        child.on('close', () => clearTimeout(timer))
        child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
        child.on('error', reject)
        child.on('close', (code, signal) =>
          resolve({
            code: code ?? 255,
            ...(signal ? {signal} : {}),
            stderr: Buffer.concat(err).toString('utf8'),
            stdout: Buffer.concat(out).toString('utf8'),
          }),
        )
        child.stdin.on('error', () => {})
        if (typeof options.stdin === 'object') options.stdin.pipe(child.stdin)
        else child.stdin.end(options.stdin ?? '')
      })
    },
    hostKey: {fingerprint: 'SHA256:local', keyType: 'none', status: 'unchecked'},
    target: 'root@local-bash:22',
  }
}

/**
 * Writes a stub command: a bash script that logs its argv (one JSON-ish line per call, to
 * `$STUB_LOG`) and runs `body`.
 */
export async function writeStub(dir: string, name: string, body: string): Promise<void> {
  await mkdir(dir, {recursive: true})
  const file = join(dir, name)
  const script = `#!/bin/bash
{ printf '%s' ${JSON.stringify(name)}; for a in "$@"; do printf ' %s' "$a"; done; printf '\\n'; } \\
  >> "\${STUB_LOG:-/dev/null}"
${body}
`
  await writeFile(file, script)
  await chmod(file, 0o755)
}
