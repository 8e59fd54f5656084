import {hclString} from '../../runtime/hcl-string.js'
import {proxmoxUrl} from '../api/url.js'
import type {MarkerDiscovery, ProxmoxInputs} from '../types.js'

/** The values of `credentials/proxmox.credentials.tfvars` (docs/proxmox.md, "The credentials file"). */
export interface ProxmoxTfvars {
  proxmox_url: string
  proxmox_token_id: string
  /** The secret. The file is 0600; never log it. */
  proxmox_token_secret: string
  proxmox_node: string
  proxmox_skip_tls: boolean
  proxmox_ssh_username: string
  proxmox_ssh_key: string
  storage_pool: string
  storage_iso: string
  storage_snippets: string
  network_bridge: string
  /** Empty when not configured and not detected. */
  http_bind_address: string
  http_port: number
  /** Only when a public key is discoverable. */
  ssh_public_key?: string
  /** With PROVIDER_SSH_USER: node name → address, for bpg's `ssh { node { name address } }`. */
  proxmox_ssh_nodes?: TfvarsMap
}

/** A map of strings, written on one line: `{ "pve1" = "10.0.0.1", "pve2" = "10.0.0.2" }`. */
export type TfvarsMap = Readonly<Record<string, string>>
type TfvarsValue = boolean | number | string | TfvarsMap

// Groups of lines, each aligned the way `terraform fmt` aligns consecutive attributes.
const GROUPS: ReadonlyArray<ReadonlyArray<keyof ProxmoxTfvars>> = [
  ['proxmox_url', 'proxmox_token_id', 'proxmox_token_secret', 'proxmox_node', 'proxmox_skip_tls'],
  ['proxmox_ssh_username', 'proxmox_ssh_key', 'proxmox_ssh_nodes'],
  ['storage_pool', 'storage_iso', 'storage_snippets'],
  ['network_bridge'],
  ['http_bind_address', 'http_port'],
  ['ssh_public_key'],
]

/**
 * Renders the credentials tfvars as HCL: strings quoted and escaped (see `hclString`),
 * `proxmox_skip_tls` a bool, `http_port` a number, `ssh_public_key` only when given.
 * Writing the file (0600, atomic) is the caller's job.
 */
export function renderProxmoxTfvars(values: ProxmoxTfvars): string {
  const lines = [
    '# Proxmox credentials for Terraform and Packer, written by hyops init proxmox.',
    '# Sensitive: holds the API token secret. Keep it mode 0600 and never commit it.',
  ]
  for (const group of GROUPS) {
    const present = group.filter((name) => values[name] !== undefined)
    if (present.length === 0) continue
    const width = Math.max(...present.map((name) => name.length))
    lines.push('')
    for (const name of present) lines.push(`${name.padEnd(width)} = ${hclValue(values[name] as TfvarsValue)}`)
  }

  return lines.join('\n') + '\n'
}

/** HCL text of a value (a map on one line, its keys quoted). */
export function hclValue(value: TfvarsValue): string {
  if (typeof value === 'object') {
    const pairs = Object.entries(value).map(([name, text]) => `${hclString(name)} = ${hclString(text)}`)
    return pairs.length === 0 ? '{}' : `{ ${pairs.join(', ')} }`
  }

  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('a tfvars number must be finite')
    return String(value)
  }

  return hclString(value)
}

/** A tfvars file that is not the simple `name = literal` form hyops writes. */
export class TfvarsParseError extends Error {
  /** 1-based line of the problem. */
  readonly line: number

  constructor(line: number, what: string) {
    super(`tfvars line ${line}: ${what}`)
    this.name = 'TfvarsParseError'
    this.line = line
  }
}

const ATTRIBUTE = /^([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.*)$/
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/
const TRAILER = /^\s*((#|\/\/).*)?$/

/**
 * Reads a tfvars file of `name = literal` lines (quoted strings, numbers, true/false), as
 * `renderProxmoxTfvars` and the Python hyops write them; `#` and `//` comments and blank lines
 * are skipped. Anything else (interpolation, lists, heredocs, a name set twice) throws
 * `TfvarsParseError`, whose message never holds a value.
 */
export function parseTfvars(text: string): Record<string, TfvarsValue> {
  const out = new Map<string, TfvarsValue>()
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const lineNo = index + 1
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('//')) continue
    const match = ATTRIBUTE.exec(line)
    if (!match) throw new TfvarsParseError(lineNo, 'not a name = value line')
    const [, name, rest] = match
    if (out.has(name)) throw new TfvarsParseError(lineNo, `${name} is set twice`)
    const {length, value} = parseLiteral(rest, lineNo, name)
    if (!TRAILER.test(rest.slice(length)))
      throw new TfvarsParseError(lineNo, `unexpected text after the value of ${name}`)
    out.set(name, value)
  }

  return Object.fromEntries(out)
}

function parseLiteral(text: string, lineNo: number, name: string): {length: number; value: TfvarsValue} {
  if (text.startsWith('"')) return parseString(text, lineNo, name)
  if (text.startsWith('{')) return parseMap(text, lineNo, name)
  for (const word of ['true', 'false'] as const) {
    if (text.startsWith(word) && !/[\w-]/.test(text[word.length] ?? ''))
      return {length: word.length, value: word === 'true'}
  }

  const number = NUMBER.exec(text)
  if (number && !/[\w.-]/.test(text[number[0].length] ?? ''))
    return {length: number[0].length, value: Number(number[0])}
  throw new TfvarsParseError(lineNo, `the value of ${name} is not a string, number or bool literal`)
}

/** A one-line map of quoted strings, `{ "a" = "x", "b" = "y" }`, as `renderProxmoxTfvars` writes it. */
function parseMap(text: string, lineNo: number, name: string): {length: number; value: TfvarsMap} {
  const out: Record<string, string> = {}
  let at = 1
  const skip = () => {
    while (text[at] === ' ' || text[at] === '\t') at++
  }

  for (;;) {
    skip()
    if (text[at] === '}') return {length: at + 1, value: out}
    if (text[at] !== '"')
      throw new TfvarsParseError(lineNo, `the map value of ${name} is not a one-line map of strings`)
    const key = parseString(text.slice(at), lineNo, name)
    at += key.length
    skip()
    if (text[at] !== '=')
      throw new TfvarsParseError(lineNo, `the map value of ${name} is not a one-line map of strings`)
    at++
    skip()
    if (text[at] !== '"')
      throw new TfvarsParseError(lineNo, `the map value of ${name} is not a one-line map of strings`)
    const value = parseString(text.slice(at), lineNo, name)
    at += value.length
    out[key.value] = value.value
    skip()
    if (text[at] === ',') at++
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {'"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t'}

function parseString(text: string, lineNo: number, name: string): {length: number; value: string} {
  let value = ''
  let i = 1
  while (i < text.length) {
    const char = text[i]
    if (char === '"') return {length: i + 1, value}
    if (char === '\\') {
      const escape = text[i + 1]
      if (escape !== undefined && SIMPLE_ESCAPES[escape] !== undefined) {
        value += SIMPLE_ESCAPES[escape]
        i += 2
        continue
      }

      const hex =
        escape === 'u'
          ? /^[0-9A-Fa-f]{4}/.exec(text.slice(i + 2))
          : escape === 'U'
            ? /^[0-9A-Fa-f]{8}/.exec(text.slice(i + 2))
            : null
      const code = hex ? Number.parseInt(hex[0], 16) : Number.NaN
      if (!hex || code > 0x10_ffff) throw new TfvarsParseError(lineNo, `bad escape in the value of ${name}`)
      value += String.fromCodePoint(code)
      i += 2 + hex[0].length
      continue
    }

    if ((char === '$' || char === '%') && text[i + 1] === char && text[i + 2] === '{') {
      value += `${char}{`
      i += 3
      continue
    }

    if ((char === '$' || char === '%') && text[i + 1] === '{')
      throw new TfvarsParseError(lineNo, `the value of ${name} is a template, not a literal`)
    value += char
    i++
  }

  throw new TfvarsParseError(lineNo, `the string value of ${name} is not closed on its line`)
}

/** What `proxmoxTfvarsFrom` assembles the tfvars from. */
export interface ProxmoxTfvarsSources {
  inputs: ProxmoxInputs
  runtime: MarkerDiscovery
  tokenSecret: string
  /** Public key text, when one was found. */
  sshPublicKey?: string
  /** Detected bind address when HTTP_BIND_ADDRESS is unset (empty when none). */
  detectedHttpBindAddress?: string
  /** PROVIDER_SSH_USER's account: handed out instead of PROXMOX_SSH_USERNAME and its key. */
  providerAccount?: {username: string; keyFile: string; nodes: TfvarsMap}
}

/** The tfvars values of a run: the API URL from the discovered API IP and PROXMOX_API_PORT, and the rest. */
export function proxmoxTfvarsFrom(sources: ProxmoxTfvarsSources): ProxmoxTfvars {
  const {inputs, runtime} = sources
  const values: ProxmoxTfvars = {
    http_bind_address: inputs.httpBindAddress ?? sources.detectedHttpBindAddress ?? '',
    http_port: inputs.httpPort,
    network_bridge: runtime.bridge,
    proxmox_node: runtime.node,
    proxmox_skip_tls: inputs.tlsSkip,
    proxmox_ssh_key: inputs.sshKey,
    proxmox_ssh_username: inputs.sshUsername,
    proxmox_token_id: inputs.tokenId,
    proxmox_token_secret: sources.tokenSecret,
    proxmox_url: proxmoxUrl(runtime.apiIp, inputs.apiPort),
    storage_iso: runtime.storageIso,
    storage_pool: runtime.storageVm,
    storage_snippets: runtime.storageSnippets,
  }
  if (sources.sshPublicKey) values.ssh_public_key = sources.sshPublicKey
  const account = sources.providerAccount
  if (account) {
    values.proxmox_ssh_username = account.username
    values.proxmox_ssh_key = account.keyFile
    values.proxmox_ssh_nodes = account.nodes
  }

  return values
}
