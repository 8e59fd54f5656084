import {access} from 'node:fs/promises'

import {ExitCode, HyopsError} from '../../errors.js'
import {openAgent} from '../../ssh/agent-auth.js'
import {connectSsh, type SshSession} from '../../ssh/connection.js'
import {installAuthorizedKey} from '../../ssh/key-install.js'
import {generateEd25519KeyPair, publicKeyPath, readPublicKey} from '../../ssh/keygen.js'
import type {HostKeyPolicy} from '../../ssh/known-hosts.js'
import {askKeyPassphrase, confirmGenerateKey, confirmInstallKey, confirmTrustHostKey} from '../../ux/prompts.js'
import type {SshRoute} from '../config/ssh-route.js'
import {askRootPassword} from '../prompts.js'
import type {ProxmoxInputs} from '../types.js'

export interface HostSessionRequest {
  inputs: ProxmoxInputs
  knownHostsFile: string
  hostKeyPolicy: HostKeyPolicy
  /** Prompts allowed: trust a new host key, make a missing key pair, install the key with the password. */
  interactive: boolean
  /** Says what happened (a key made or installed) to the operator. */
  note: (line: string) => void
  /** What ~/.ssh/config adds: key files, jump hosts, the operator's known_hosts. */
  route?: SshRoute
}

/**
 * Opens the one SSH connection to the Proxmox host as PROXMOX_SSH_USERNAME with
 * PROXMOX_SSH_KEY. At a terminal it carries a first run through: a missing key pair can be
 * generated, a new host key is shown for trust, and refused key authentication offers to
 * install the public key with the root password (used once, never stored). Without a
 * terminal each of these is exit 20 saying what to do.
 */
export async function openHostSession(request: HostSessionRequest): Promise<SshSession> {
  const {inputs, interactive} = request
  const route = request.route ?? {identityFiles: [inputs.sshKey], jumps: [], trustedKnownHostsFiles: []}
  const agent = await openAgent()
  if (!agent) await ensureKeyPair(request)
  // Asked once per key for this run (a reconnect after a key install does not ask again); never written.
  const passphrases = new Map<string, string>()
  const askPassphrase = async (path: string) => {
    const known = passphrases.get(path)
    if (known !== undefined) return known
    const passphrase = await askKeyPassphrase(path)
    passphrases.set(path, passphrase)
    return passphrase
  }

  const warned = new Set<string>()
  const warn = (line: string) => {
    if (!warned.has(line)) request.note(line)
    warned.add(line)
  }

  const connect = (password?: string) =>
    connectSsh({
      agent: password === undefined ? agent : undefined,
      askPassphrase: interactive ? askPassphrase : undefined,
      confirmNewHostKey: interactive
        ? (fingerprint, details) => confirmTrustHostKey(`${details.host}:${details.port}`, fingerprint)
        : undefined,
      host: inputs.host,
      hostKeyPolicy: request.hostKeyPolicy,
      identitiesOnly: route.identitiesOnly,
      identityFiles: password === undefined ? route.identityFiles : undefined,
      jumps: route.jumps.map((hop) => ({...hop, agent})),
      knownHostsFile: request.knownHostsFile,
      password,
      port: inputs.sshPort,
      privateKeyPath: password === undefined ? inputs.sshKey : undefined,
      trustedKnownHostsFiles: route.trustedKnownHostsFiles,
      username: inputs.sshUsername,
      warn,
    })
  try {
    return await connect()
  } catch (error) {
    if (!(error instanceof HyopsError) || error.reason !== 'auth' || !interactive) throw error
    const publicKey = await readPublicKey(inputs.sshKey)
    if (!publicKey) throw error
    if (!(await confirmInstallKey(inputs.sshUsername, inputs.host, publicKeyPath(inputs.sshKey)))) throw error
    const password = await askRootPassword(inputs.sshUsername, inputs.host)
    const withPassword = await connect(password)
    try {
      const outcome = await installAuthorizedKey(withPassword, publicKey, {target: withPassword.target})
      request.note(
        outcome === 'installed'
          ? `Installed ${publicKeyPath(inputs.sshKey)} for ${inputs.sshUsername}@${inputs.host}`
          : `The key was already authorized on ${inputs.host}`,
      )
    } finally {
      withPassword.dispose()
    }

    return connect()
  }
}

async function ensureKeyPair(request: HostSessionRequest): Promise<void> {
  const {sshKey} = request.inputs
  if (
    await access(sshKey).then(
      () => true,
      () => false,
    )
  )
    return
  const makeIt = `ssh-keygen -t ed25519 -f ${sshKey}`
  if (!request.interactive) {
    throw new HyopsError(ExitCode.Remote, `no SSH private key at ${sshKey} (PROXMOX_SSH_KEY)`, {
      hint:
        `create one (${makeIt}) and authorize it for ${request.inputs.sshUsername}@${request.inputs.host}, ` +
        'set PROXMOX_SSH_KEY, load your key into ssh-agent (ssh-add), or run once at a terminal to have hyops ' +
        'make and install it',
      reason: 'key-missing',
    })
  }

  if (!(await confirmGenerateKey(sshKey))) {
    throw new HyopsError(ExitCode.Remote, `no SSH private key at ${sshKey} (PROXMOX_SSH_KEY)`, {
      hint: `create one with ${makeIt}, or set PROXMOX_SSH_KEY`,
      reason: 'key-missing',
    })
  }

  const pair = await generateEd25519KeyPair(sshKey, `hyops@${request.inputs.host}`)
  request.note(`Generated an ed25519 key pair: ${pair.privatePath} (public: ${pair.publicPath})`)
}
