import type {Config} from '@oclif/core'

import {collectTargets} from '../hooks/events.js'
import type {ReadinessMarker} from '../readiness/marker.js'
import type {RuntimeLayout} from '../runtime/layout.js'
import type {LoadedVault} from '../vault/vault-access.js'

/** One variable a format sets. */
export interface EnvVariable {
  name: string
  value: string
  /** True for a secret (token, key): printed only when asked, never logged. */
  secret?: boolean
}

/** A format of a target: the variable set one tool reads. */
export interface EnvFormatInfo {
  /** `bpg`, `telmate`, `hcloud`, ... */
  name: string
  /** One line for help and error messages. */
  summary: string
}

/** What `hyops env` and `hyops exec` hand a target's `variables`. */
export interface EnvRequest {
  /** One of the target's `formats` (checked by the core). */
  format: string
  layout: RuntimeLayout
  /** The target's readiness marker, status `ready` (checked by the core). */
  marker: ReadinessMarker
  /** Opens the runtime vault with the command's password sources (`--vault-password-file`, ...). */
  openVault: () => Promise<LoadedVault>
  /** The environment of hyops (defaults to `process.env`). */
  environment: NodeJS.ProcessEnv
}

/** A target's answer: its variables, and how the tool must trust the API. */
export interface EnvAnswer {
  variables: EnvVariable[]
  /**
   * PEM of the CA(s) the API's certificate is verified against when the system does not
   * trust them. The core then writes `<root>/state/<target>-ca-bundle.pem` (system roots and
   * these) and sets each of `caBundleVariables` to its path.
   */
  caPem?: string
  /** Variables that name the CA bundle; `['SSL_CERT_FILE']` unless given (Go tools read it). */
  caBundleVariables?: string[]
}

/** What a plugin answers to `hyops:env-formats`: a target whose credentials can become an environment. */
export interface EnvTarget {
  target: string
  /** Used without `--format`; one of `formats`. */
  defaultFormat: string
  formats: EnvFormatInfo[]
  /** Reads the target's credentials from the runtime root (never from the remote host). */
  variables: (request: EnvRequest) => Promise<EnvAnswer>
}

declare module '@oclif/core/hooks' {
  interface Hooks {
    /** Lists the targets a plugin can turn into a tool's environment (`hyops env`, `hyops exec`). */
    'hyops:env-formats': {options: object; return: EnvTarget[]}
  }
}

/**
 * Every target the installed plugins answer `hyops:env-formats` with, by name (the core's
 * answer wins a clash). A plugin whose hook fails is left out; `failures` names it.
 */
export async function collectEnvTargets(
  config: Config,
): Promise<{targets: Map<string, EnvTarget>; failures: string[]}> {
  return collectTargets(config, 'hyops:env-formats', isEnvTarget)
}

function isEnvTarget(value: unknown): value is EnvTarget {
  const target = value as EnvTarget | undefined
  return (
    typeof target?.target === 'string' &&
    typeof target.variables === 'function' &&
    Array.isArray(target.formats) &&
    target.formats.every((f) => typeof f?.name === 'string')
  )
}
