import {stat} from 'node:fs/promises'

import ssh2, {type AuthenticationType, type ParsedKey} from 'ssh2'

import {ExitCode, HyopsError} from '../errors.js'
import {parsePublicKeyLine} from './keygen.js'
import {KEY_FILE_MAX_BYTES, readUserText, unreadableReason} from '../runtime/user-file.js'

/** A running ssh-agent (SSH_AUTH_SOCK) and the keys it held when asked. */
export interface SshAgent {
  socket: string
  keys: ParsedKey[]
}

/**
 * Asks the agent at `socket` for its keys; undefined when there is no socket, the agent does not answer
 * within `timeoutMs` or holds no key (as OpenSSH, a broken agent is skipped, not an error).
 */
export async function openAgent(
  socket: string | undefined = process.env.SSH_AUTH_SOCK,
  timeoutMs = 3000,
): Promise<SshAgent | undefined> {
  if (!socket) return undefined
  const agent = new ssh2.OpenSSHAgent(socket)
  const keys = await new Promise<ParsedKey[]>((resolve) => {
    const timer = setTimeout(() => resolve([]), timeoutMs)
    agent.getIdentities((error, found) => {
      clearTimeout(timer)
      resolve(error ? [] : ((found ?? []) as ParsedKey[]))
    })
  })
  return keys.length > 0 ? {keys, socket} : undefined
}

/** An agent that offers only the keys listed beforehand (IdentitiesOnly) and signs through the real one. */
class ListedAgent extends ssh2.BaseAgent<ParsedKey> {
  private readonly inner: InstanceType<typeof ssh2.OpenSSHAgent>

  constructor(
    socket: string,
    private readonly keys: ParsedKey[],
  ) {
    super()
    this.inner = new ssh2.OpenSSHAgent(socket)
  }

  getIdentities(cb: (error: Error | undefined, keys?: ParsedKey[]) => void): void {
    cb(undefined, this.keys)
  }

  sign(...args: unknown[]): void {
    ;(this.inner.sign as (...a: unknown[]) => boolean)(...args)
  }
}

/** One private key file, read and checked before connecting. */
export interface IdentityFile {
  path: string
  /** How messages name it: `PROXMOX_SSH_KEY=<path>`, `IdentityFile <path>`. */
  label: string
  /** The key text; undefined when the file is missing. */
  text?: string
  encrypted: boolean
  /** The public key blob (from the key itself, or its .pub file when the key is encrypted). */
  publicBlob?: Buffer
}

/**
 * Reads a private key file: missing is `text: undefined`; unreadable or not a key ssh2 reads is exit 20 naming
 * `what` (PROXMOX_SSH_KEY=..., IdentityFile ...). A key readable by group or others gets a warning.
 */
export async function loadIdentity(
  path: string,
  target: string,
  what: string,
  warn?: (line: string) => void,
): Promise<IdentityFile> {
  let text: string
  try {
    text = await readUserText(path, {maxBytes: KEY_FILE_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return {encrypted: false, label: what, path, publicBlob: await pubFile(path)}
    const why = `cannot be read: ${unreadableReason(error)}`
    throw failure(target, 'key-missing', `the private key ${what} ${why}`, 'point it at a readable private key')
  }

  const mode = (await stat(path)).mode & 0o777
  if ((mode & 0o077) !== 0) {
    warn?.(
      `Warning: the private key ${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); ` +
        `OpenSSH refuses such keys: chmod 600 ${path}`,
    )
  }

  const parsed = ssh2.utils.parseKey(text)
  if (parsed instanceof Error) {
    if (/encrypted|passphrase/i.test(parsed.message))
      return {encrypted: true, label: what, path, publicBlob: await pubFile(path), text}
    throw failure(
      target,
      'key-invalid',
      `${what} is not a private key ssh2 can read (${parsed.message})`,
      'use an OpenSSH or PEM private key (ed25519, ecdsa or rsa)',
    )
  }

  const key = Array.isArray(parsed) ? parsed[0] : parsed
  return {encrypted: false, label: what, path, publicBlob: key.getPublicSSH(), text}
}

async function pubFile(path: string): Promise<Buffer | undefined> {
  const line = await readUserText(`${path}.pub`, {maxBytes: KEY_FILE_MAX_BYTES}).catch(() => undefined)
  const key = line === undefined ? undefined : parsePublicKeyLine(line.trim())
  return key ? Buffer.from(key.blob, 'base64') : undefined
}

export interface AuthPlanOptions {
  target: string
  username: string
  agent?: SshAgent
  identities: IdentityFile[]
  /** IdentitiesOnly: offer only the agent's keys that belong to `identities`. */
  identitiesOnly?: boolean
  /** Asks for the passphrase of an encrypted key (a terminal); without it such a key is not used. */
  askPassphrase?: (path: string) => Promise<string>
  password?: string
}

type NextAuth = Exclude<AuthenticationType, 'hostbased'> | Record<string, unknown> | false
type AuthHandler = (methodsLeft: string[], partialSuccess: boolean, callback: (next: NextAuth) => void) => undefined

/** The authentication of one connection, in OpenSSH's order: agent keys, key files, password. */
export interface AuthPlan {
  handler: AuthHandler
  /** For ssh2's `agent` option (only the keys offered). */
  agent?: InstanceType<typeof ssh2.BaseAgent>
  /** What was offered, for the error message. */
  tried(): string
  /** A failure that ended authentication early (a passphrase that did not open the key). */
  fatal(): HyopsError | undefined
}

const PASSPHRASE_ATTEMPTS = 3

/**
 * Plans the authentication and fails at once (exit 20, before any network) when nothing could be offered:
 * no key file and no agent, or only passphrase-protected keys without a terminal to ask.
 */
export function planAuth(options: AuthPlanOptions): AuthPlan {
  const {identities, target, username} = options
  const present = identities.filter((identity) => identity.text !== undefined)
  const agentKeys = (options.agent?.keys ?? []).filter(
    (key) => !options.identitiesOnly || identities.some((identity) => identity.publicBlob?.equals(key.getPublicSSH())),
  )
  const inAgent = (identity: IdentityFile) =>
    identity.publicBlob !== undefined && agentKeys.some((key) => key.getPublicSSH().equals(identity.publicBlob!))
  const files = present.filter((identity) => !inAgent(identity))
  const usableFiles = files.filter((identity) => !identity.encrypted || options.askPassphrase)
  if (agentKeys.length === 0 && usableFiles.length === 0 && options.password === undefined) {
    const encrypted = files.find((identity) => identity.encrypted)
    if (encrypted) {
      throw failure(
        target,
        'key-encrypted',
        `the private key ${encrypted.label} is protected by a passphrase and there is no terminal to ask it ` +
          `(and no ssh-agent holding it)`,
        `load it into your agent first: eval "$(ssh-agent)"; ssh-add ${encrypted.path}, then re-run`,
      )
    }

    const where = identities.map((identity) => `${identity.label} does not exist`).join(', ')
    throw failure(
      target,
      'key-missing',
      `${where ? `the private key ${where}` : 'no private key (PROXMOX_SSH_KEY)'} and no ssh-agent holds a key ` +
        '(SSH_AUTH_SOCK)',
      'point PROXMOX_SSH_KEY (or --ssh-key) at a readable private key, or load one into ssh-agent (ssh-add)',
    )
  }

  const offered: string[] = []
  let fatal: HyopsError | undefined
  const steps: Array<() => Promise<NextAuth | undefined>> = []
  const agent = agentKeys.length > 0 ? new ListedAgent(options.agent!.socket, agentKeys) : undefined
  if (agent) {
    steps.push(async () => {
      offered.push(`${agentKeys.length} agent key${agentKeys.length === 1 ? '' : 's'}`)
      return {agent, type: 'agent', username}
    })
  }

  for (const identity of usableFiles) {
    steps.push(async () => {
      offered.push(`the key ${identity.path}`)
      if (!identity.encrypted) return {key: identity.text, type: 'publickey', username}
      for (let attempt = 1; attempt <= PASSPHRASE_ATTEMPTS; attempt++) {
        const passphrase = await options.askPassphrase!(identity.path)
        if (!(ssh2.utils.parseKey(identity.text!, passphrase) instanceof Error))
          return {key: identity.text, passphrase, type: 'publickey', username}
      }

      fatal = failure(
        target,
        'key-encrypted',
        `the private key ${identity.label} does not open with the passphrase given`,
        `re-run and type its passphrase, or load it into ssh-agent (ssh-add ${identity.path})`,
      )
      return false
    })
  }

  if (options.password !== undefined) {
    steps.push(async () => {
      offered.push('the password')
      return {password: options.password, type: 'password', username}
    })
  }

  const handler: AuthHandler = (_methods, _partial, callback) => {
    const next = async (): Promise<NextAuth> => {
      for (let step = steps.shift(); step; step = steps.shift()) {
        const auth = await step()
        if (auth !== undefined) return auth
      }

      return false
    }

    next().then(callback, (error: unknown) => {
      fatal = error instanceof HyopsError ? error : failure(target, 'auth', String(error), 'run the command again')
      callback(false)
    })
    return undefined
  }

  return {
    agent,
    fatal: () => fatal,
    handler,
    tried: () => offered.join(', ') || 'nothing',
  }
}

function failure(target: string, reason: string, what: string, fix: string): HyopsError {
  return new HyopsError(ExitCode.Remote, `SSH to ${target}: ${what}`, {hint: fix, reason})
}
