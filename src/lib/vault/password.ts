import {spawn} from 'node:child_process'
import {stat} from 'node:fs/promises'

import {ExitCode, HyopsError} from '../errors.js'
import {readUserFile, unreadableReason} from '../runtime/user-file.js'
import {expandHome} from '../runtime/root.js'
import {askVaultPassword} from '../ux/prompts.js'
import type {VaultAccessOptions} from './vault-access.js'

/** A vault password and where it came from. The bytes never leave this process. */
export interface VaultPassword {
  bytes: Buffer
  /** `--vault-password-file`, `HYOPS_VAULT_PASSWORD_COMMAND`, `prompt`, ... */
  source: string
}

export interface PasswordPurpose {
  /** The vault is being created: a prompt asks twice. */
  creating: boolean
  /** Names the vault in the prompt and in errors. */
  vaultFile: string
}

/** The environment variables that give a password, in the order they are tried. */
export const PASSWORD_ENVIRONMENT = [
  'HYOPS_VAULT_PASSWORD_FILE',
  'ANSIBLE_VAULT_PASSWORD_FILE',
  'HYOPS_VAULT_PASSWORD_COMMAND',
] as const

const DEFAULT_COMMAND_TIMEOUT_MS = 30_000
const ASCII_WHITESPACE = /^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g
const LINE_BREAKS = /^[\r\n]+|[\r\n]+$/g

/**
 * Finds the vault password: `--vault-password-file`, `--vault-password-command`, then
 * HYOPS_VAULT_PASSWORD_FILE, ANSIBLE_VAULT_PASSWORD_FILE, HYOPS_VAULT_PASSWORD_COMMAND, then a
 * hidden prompt when `interactive` (asked twice when creating). Files are stripped of
 * surrounding whitespace and command output of surrounding line breaks, as ansible-vault
 * does, so one password source serves both. No source: exit 21 naming the flags.
 */
export async function resolveVaultPassword(
  options: VaultAccessOptions,
  purpose: PasswordPurpose,
): Promise<VaultPassword> {
  const environment = options.environment ?? process.env
  const timeoutMs = options.passwordCommandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  if (options.passwordFile)
    return {
      bytes: await readPasswordFile(options.passwordFile, '--vault-password-file'),
      source: '--vault-password-file',
    }
  if (options.passwordCommand) {
    return {
      bytes: await runPasswordCommand(options.passwordCommand, {source: '--vault-password-command', timeoutMs}),
      source: '--vault-password-command',
    }
  }

  for (const name of PASSWORD_ENVIRONMENT) {
    const value = environment[name]
    if (!value) continue
    const bytes = name.endsWith('_COMMAND')
      ? await runPasswordCommand(value, {source: name, timeoutMs})
      : await readPasswordFile(value, name)
    return {bytes, source: name}
  }

  if (options.interactive) {
    const answer = await askVaultPassword(purpose.vaultFile, purpose.creating, options.promptStreams)
    const bytes = Buffer.from(answer.replaceAll(ASCII_WHITESPACE, ''), 'utf8')
    if (bytes.length === 0)
      throw new HyopsError(ExitCode.Secrets, 'the vault password is empty', {
        hint: 'type a password that is not only whitespace',
      })
    return {bytes, source: 'prompt'}
  }

  throw new HyopsError(ExitCode.Secrets, `no vault password for ${purpose.vaultFile}`, {
    hint:
      `pass --vault-password-file <file> or --vault-password-command <cmd>, or set ` +
      `${PASSWORD_ENVIRONMENT.join(', ')}`,
    reason: 'no-password',
  })
}

/** A password file holds one line; past this (`/dev/zero`?) it is refused unread. */
export const PASSWORD_FILE_MAX_BYTES = 64 * 1024

/** Reads a password file; surrounding whitespace is not part of the password (as in ansible). */
export async function readPasswordFile(path: string, source: string): Promise<Buffer> {
  const file = expandHome(path)
  let data: Buffer
  try {
    data = await readUserFile(file, {maxBytes: PASSWORD_FILE_MAX_BYTES})
  } catch (error) {
    const why = unreadableReason(error)
    throw new HyopsError(ExitCode.Secrets, `cannot read the vault password file ${file} (${source}): ${why}`, {
      hint: 'give a readable file that holds the password',
    })
  }

  if (data.subarray(0, 2).toString('latin1') === '#!' && (await isExecutable(file))) {
    throw new HyopsError(
      ExitCode.Secrets,
      `the vault password file ${file} (${source}) is a script; hyops reads password files, it does not run them`,
      {
        hint: 'pass it as --vault-password-command instead',
      },
    )
  }

  const password = Buffer.from(data.toString('latin1').replaceAll(ASCII_WHITESPACE, ''), 'latin1')
  if (password.length === 0)
    throw new HyopsError(ExitCode.Secrets, `the vault password file ${file} (${source}) is empty`, {
      hint: 'write the password into it',
    })
  return password
}

/**
 * Runs a password command through `/bin/sh -c` (stdin closed, its own process group, killed
 * at the timeout). Its stdout, less surrounding line breaks, is the password and is never
 * shown; its stderr is quoted when it fails.
 */
export async function runPasswordCommand(
  command: string,
  options: {source: string; timeoutMs?: number},
): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  const fail = (why: string, hint = 'check that the command prints the password on stdout and exits 0') =>
    new HyopsError(ExitCode.Secrets, `the vault password command (${options.source}) ${why}`, {
      hint,
      reason: 'password-command',
    })
  const {code, signal, stdout, stderr, timedOut, spawnError} = await new Promise<CommandOutcome>((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {detached: true, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child.pid)
    }, timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', (error) => {
      clearTimeout(timer)
      resolve({code: null, signal: null, spawnError: error, stderr: '', stdout: Buffer.alloc(0), timedOut})
    })
    const finish = (exitCode: number | null, exitSignal: NodeJS.Signals | null) => {
      clearTimeout(timer)
      resolve({
        code: exitCode,
        signal: exitSignal,
        stderr: Buffer.concat(err).toString('utf8'),
        stdout: Buffer.concat(out),
        timedOut,
      })
    }

    child.on('exit', (exitCode, exitSignal) => {
      clearTimeout(timer)
      // A background process the shell left behind may hold the pipes open: do not wait for it.
      setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
        finish(exitCode, exitSignal)
      }, 500).unref()
    })
    child.on('close', finish)
  })

  if (spawnError) throw fail(`could not be started: ${spawnError.message}`, 'check that /bin/sh exists')
  if (timedOut)
    throw fail(
      `did not finish within ${Math.round(timeoutMs / 1000)} s`,
      'make it print the password without waiting for input',
    )
  if (code !== 0) {
    const detail = summarizeStderr(stderr)
    throw fail(`failed (${code === null ? `killed by ${signal}` : `exit ${code}`})${detail ? `: ${detail}` : ''}`)
  }

  const password = Buffer.from(stdout.toString('latin1').replaceAll(LINE_BREAKS, ''), 'latin1')
  if (password.length === 0) throw fail('printed nothing')
  return password
}

interface CommandOutcome {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
  timedOut: boolean
  spawnError?: Error
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // The group is already gone.
  }
}

function summarizeStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const text = lines.slice(-3).join(' | ')
  return text.length > 300 ? text.slice(0, 297) + '...' : text
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    return ((await stat(path)).mode & 0o111) !== 0
  } catch {
    return false
  }
}
