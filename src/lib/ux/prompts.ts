import {Writable} from 'node:stream'

import {ExitCode, HyopsError, secretsError} from '../errors.js'
import {withScreenSuspended} from './screen.js'

/**
 * Prompts, over @inquirer/prompts loaded only when a prompt is really shown (startup stays
 * fast). Prompts draw on stderr so that stdout stays clean for results, and suspend any
 * progress spinner while they are on screen. Ctrl-C (or Ctrl-D) at a prompt is a HyopsError
 * with exit 130. Callers decide whether a prompt may be shown at all (`canPrompt`).
 *
 * Every function takes the streams last, so tests can drive it without a terminal.
 */
export interface PromptStreams {
  /** Where keystrokes come from; process.stdin by default. */
  input?: NodeJS.ReadableStream
  /** Where the prompt draws; process.stderr by default. */
  output?: NodeJS.WritableStream
}

async function inquirer() {
  return import('@inquirer/prompts')
}

/** Why a prompt was aborted by us rather than answered. */
const INPUT_CLOSED = 'input-closed'

type Ask<T> = (context: {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
  clearPromptOnDone: boolean
  signal: AbortSignal
}) => Promise<T>

/**
 * Shows one prompt: spinner suspended, streams resolved, and every way out of it that is not
 * an answer turned into exit 130. A closed input (Ctrl-D, a pipe that ended) would otherwise
 * leave the prompt pending forever, so it aborts the prompt too.
 */
async function show<T>(streams: PromptStreams, ask: Ask<T>): Promise<T> {
  const input = streams.input ?? process.stdin
  const output = keepOpen(streams.output ?? process.stderr)
  const controller = new AbortController()
  // readline pauses its input when it closes on Ctrl-D or end of input; while a prompt is
  // pending nothing else pauses it.
  const closed = () => controller.abort(INPUT_CLOSED)
  return withScreenSuspended(async () => {
    input.once('pause', closed)
    try {
      return await ask({clearPromptOnDone: false, input, output, signal: controller.signal})
    } catch (error) {
      const name = (error as Error)?.name
      if (name === 'AbortPromptError' && controller.signal.reason === INPUT_CLOSED) {
        throw new HyopsError(ExitCode.Cancelled, 'cancelled: the input closed at a prompt', {reason: 'cancelled'})
      }

      if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') {
        throw new HyopsError(ExitCode.Cancelled, 'cancelled by the operator', {reason: 'cancelled'})
      }

      throw error
    } finally {
      input.removeListener('pause', closed)
    }
  })
}

/**
 * A prompt ends its output stream when it is done. stdout and stderr survive that (Node never
 * closes them); any other stream is handed over through a proxy that forwards everything but
 * the end, with the terminal size the prompt lays its lines out by.
 */
function keepOpen(output: NodeJS.WritableStream): NodeJS.WritableStream {
  if (output === process.stderr || output === process.stdout) return output
  const tty = output as NodeJS.WritableStream & {columns?: number; rows?: number; isTTY?: boolean}
  const proxy = new Writable({
    write(chunk, encoding, callback) {
      output.write(chunk, encoding, () => callback())
    },
  })
  return Object.assign(proxy, {columns: tty.columns, isTTY: tty.isTTY, rows: tty.rows})
}

/** A yes/no question; Enter takes `defaultValue` (shown as `Y/n` or `y/N`). */
export async function askConfirm(
  message: string,
  defaultValue: boolean,
  streams: PromptStreams = {},
): Promise<boolean> {
  const {confirm} = await inquirer()
  return show(streams, (context) => confirm({default: defaultValue, message}, context as never))
}

/**
 * A hidden answer (passwords): nothing is echoed, not even a mask character, so the length
 * does not show either. Empty answers are refused by the prompt itself.
 */
export async function askSecret(message: string, streams: PromptStreams = {}): Promise<string> {
  const {password} = await inquirer()
  return show(streams, (context) =>
    password(
      {message, validate: (value: string) => value.length > 0 || 'an empty answer is not allowed'},
      context as never,
    ),
  )
}

/** How many times a new secret may be entered differently before giving up. */
export const NEW_SECRET_ATTEMPTS = 3

/**
 * A new hidden answer asked twice; asks again when both differ, and after
 * `NEW_SECRET_ATTEMPTS` mismatches fails with exit 21.
 */
export async function askNewSecret(message: string, streams: PromptStreams = {}): Promise<string> {
  for (let attempt = 1; attempt <= NEW_SECRET_ATTEMPTS; attempt++) {
    const first = await askSecret(message, streams)
    const second = await askSecret('Repeat it', streams)
    if (first === second) return first
    ;(streams.output ?? process.stderr).write('The two entries differ; try again.\n')
  }

  throw secretsError(
    `the two entries differed ${NEW_SECRET_ATTEMPTS} times`,
    'run the command again, or give the password with --vault-password-file',
  )
}

/** A line of text with a default. */
export async function askInput(message: string, defaultValue?: string, streams: PromptStreams = {}): Promise<string> {
  const {input} = await inquirer()
  return show(streams, (context) => input({default: defaultValue, message}, context as never))
}

// The operator's questions of `hyops init proxmox`. Each names what it will do and what a
// "no" means; the default is what an operator who only presses Enter should get.

/**
 * First contact with an SSH host: show the SHA256 fingerprint and ask to trust it. Default
 * no: this question exists so that a person compares the fingerprint, and pressing Enter
 * through it must not trust a key nobody looked at (OpenSSH also wants an explicit yes).
 */
export async function confirmTrustHostKey(
  host: string,
  fingerprint: string,
  streams: PromptStreams = {},
): Promise<boolean> {
  return askConfirm(
    `The host key of ${host} is not known yet. Its fingerprint is ${fingerprint}. Trust it and continue?`,
    false,
    streams,
  )
}

/**
 * Key authentication failed: offer to install the operator's public key into the host's
 * `~/.ssh/authorized_keys` (asks the password next). Default yes: setting up access is what
 * the operator came for, and the password prompt that follows can still be cancelled.
 */
export async function confirmInstallKey(
  user: string,
  host: string,
  publicKeyPath?: string,
  streams: PromptStreams = {},
): Promise<boolean> {
  const key = publicKeyPath ? ` (${publicKeyPath})` : ''
  return askConfirm(
    `Key authentication as ${user}@${host} failed. Install your public key${key} into ` +
      `${user}'s ~/.ssh/authorized_keys on ${host}?`,
    true,
    streams,
  )
}

/** The passphrase of an encrypted SSH private key, hidden; kept in memory for this run only. */
export async function askKeyPassphrase(path: string, streams: PromptStreams = {}): Promise<string> {
  return askSecret(`Passphrase for the SSH key ${path} (never stored)`, streams)
}

/** No key pair at the configured path: offer to make an ed25519 pair there; default yes. */
export async function confirmGenerateKey(path: string, streams: PromptStreams = {}): Promise<boolean> {
  return askConfirm(`There is no SSH key at ${path}. Generate an ed25519 key pair there?`, true, streams)
}

/** The vault password: asked twice when the vault is new, once when it exists. */
export async function askVaultPassword(
  vaultFile: string,
  isNew: boolean,
  streams: PromptStreams = {},
): Promise<string> {
  return isNew
    ? askNewSecret(`New vault password for ${vaultFile}`, streams)
    : askSecret(`Vault password for ${vaultFile}`, streams)
}
