import {isAbsolute, resolve} from 'node:path'

import {configError, expandHome, readUserText, SMALL_FILE_MAX_BYTES, unreadableReason} from 'hyops'

import {TOKEN_KEY} from './target.js'

/** The public Hetzner Cloud API. */
export const DEFAULT_HCLOUD_API = 'https://api.hetzner.cloud'

/** Keys `hetzner.conf` understands; anything else draws a warning (a typo, most likely). */
export const CONFIG_KEYS = ['HCLOUD_API', 'HCLOUD_TFVARS_OUT', 'HCLOUD_CA_FILE', TOKEN_KEY] as const

/** `<root>/config/hetzner.conf`, parsed and checked. */
export interface HetznerConfig {
  file: string
  /** `HCLOUD_API` without a trailing slash; https only. */
  apiUrl: string
  /** `HCLOUD_TFVARS_OUT` as an absolute path (relative ones are taken from the runtime root). */
  tfvarsOut?: string
  /** `HCLOUD_CA_FILE`: a PEM bundle to trust for the API besides the system CAs. */
  caFile?: string
  /** `HCLOUD_TOKEN` found in the config: accepted for backwards compatibility, with a warning. */
  token?: string
  /** Keys the file sets that this target does not know. */
  unknownKeys: string[]
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Parses the line-oriented `KEY=value` format: blank lines and `#` comments are skipped, an
 * `export ` prefix is allowed, a value may be wrapped in matching single or double quotes.
 * Anything else is exit 11 naming the file and line. `root` anchors relative paths.
 */
export function parseHetznerConfig(text: string, file: string, root: string): HetznerConfig {
  const values = new Map<string, {value: string; line: number}>()
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const where = `${file}:${index + 1}`
    const assignment = line.replace(/^export\s+/, '')
    const equals = assignment.indexOf('=')
    if (equals <= 0) throw configError(`${where}: expected KEY=value`, 'fix or remove the line')
    const key = assignment.slice(0, equals).trim()
    if (!KEY.test(key)) throw configError(`${where}: "${key}" is not a valid key name`, 'use letters, digits and _')
    const previous = values.get(key)
    if (previous)
      throw configError(`${where}: ${key} is already set on line ${previous.line}`, 'keep one of the two lines')
    values.set(key, {line: index + 1, value: unquote(assignment.slice(equals + 1).trim())})
  }

  const get = (key: string) => {
    const value = values.get(key)?.value
    return value === undefined || value === '' ? undefined : value
  }

  return {
    apiUrl: checkApiUrl(get('HCLOUD_API') ?? DEFAULT_HCLOUD_API, file),
    caFile: optionalPath(get('HCLOUD_CA_FILE'), root),
    file,
    tfvarsOut: optionalPath(get('HCLOUD_TFVARS_OUT'), root),
    token: get(TOKEN_KEY),
    unknownKeys: [...values.keys()].filter((key) => !(CONFIG_KEYS as readonly string[]).includes(key)),
  }
}

/** Reads and parses the config; undefined when the file does not exist. */
export async function loadHetznerConfig(file: string, root: string): Promise<HetznerConfig | undefined> {
  let text: string
  try {
    text = await readUserText(file, {maxBytes: SMALL_FILE_MAX_BYTES})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw configError(`cannot read ${file}: ${unreadableReason(error)}`, 'give a readable file with --config')
  }

  return parseHetznerConfig(text, file, root)
}

/** The template written when the config is missing: safe defaults, no secret. */
export function hetznerConfigTemplate(): string {
  return [
    '# hyops init hetzner: one KEY=value a line; # starts a comment.',
    '# The API token is a secret and does not belong here. Give it through the HCLOUD_TOKEN',
    '# environment variable, the runtime vault (hyops vault set HCLOUD_TOKEN) or the prompt.',
    '',
    '# Hetzner Cloud API endpoint.',
    `HCLOUD_API=${DEFAULT_HCLOUD_API}`,
    '',
    '# Where the Terraform credentials go (default: <root>/credentials/hetzner.credentials.tfvars).',
    '# HCLOUD_TFVARS_OUT=',
    '',
    '# A PEM CA bundle to trust for HCLOUD_API besides the system CAs (a proxy or a private endpoint).',
    '# HCLOUD_CA_FILE=',
    '',
  ].join('\n')
}

function unquote(value: string): string {
  const first = value[0]
  if (value.length >= 2 && (first === '"' || first === "'") && value.at(-1) === first) return value.slice(1, -1)
  return value
}

function checkApiUrl(value: string, file: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw configError(`${file}: HCLOUD_API "${value}" is not a URL`, `use e.g. ${DEFAULT_HCLOUD_API}`)
  }

  if (url.protocol !== 'https:')
    throw configError(
      `${file}: HCLOUD_API must use https:// (got ${url.protocol}//)`,
      'the token must not travel in clear text',
    )
  if (url.search || url.hash || url.username || url.password)
    throw configError(`${file}: HCLOUD_API must be a plain base URL`, `use e.g. ${DEFAULT_HCLOUD_API}`)
  return url.href.replace(/\/+$/, '')
}

function optionalPath(value: string | undefined, root: string): string | undefined {
  if (value === undefined) return undefined
  const expanded = expandHome(value)
  return isAbsolute(expanded) ? expanded : resolve(root, expanded)
}
