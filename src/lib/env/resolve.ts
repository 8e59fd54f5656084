import type {Config} from '@oclif/core'

import {ExitCode, HyopsError} from '../errors.js'
import {readMarkers, type ReadinessMarker} from '../readiness/marker.js'
import type {RuntimeLayout} from '../runtime/layout.js'
import type {LoadedVault} from '../vault/vault-access.js'
import {ensureCaBundle, systemTrusts} from './ca-bundle.js'
import {collectEnvTargets, type EnvTarget, type EnvVariable} from './hook.js'
import {refuseNulValues} from './credentials-file.js'

/** What `resolveTargetEnv` needs. */
export interface TargetEnvRequest {
  config: Config
  target: string
  /** `--format`; the target's default when undefined. */
  format?: string
  layout: RuntimeLayout
  openVault: () => Promise<LoadedVault>
  /** How to run init on this root, for the hint of a target that is not ready (`hyops init proxmox --env x`). */
  initCommand: string
  /** False for `--names`: nothing is written (the CA bundle's path is still named). */
  write: boolean
  environment?: NodeJS.ProcessEnv
}

/** A target's environment, ready to print or to hand to a command. */
export interface TargetEnv {
  target: string
  format: string
  variables: EnvVariable[]
  /** The CA bundle written for the tools, when the target's CA is not a system one. */
  caBundle?: string
}

/**
 * The target's variables in one format: the target and format looked up among the
 * `hyops:env-formats` answers (unknown: exit 2 listing the known ones), the readiness marker
 * checked (missing or not `ready`: exit 21 with the init command to run), the values read by
 * the target, and a CA bundle for `SSL_CERT_FILE` when its TLS is verified against a CA the
 * system does not trust.
 */
export async function resolveTargetEnv(request: TargetEnvRequest): Promise<TargetEnv> {
  const provider = await findTarget(request.config, request.target)
  const format = request.format ?? provider.defaultFormat
  if (!provider.formats.some((f) => f.name === format)) {
    throw new HyopsError(ExitCode.Usage, `${request.target} has no format "${format}"`, {
      hint: `use --format ${provider.formats.map((f) => f.name).join('|')}`,
    })
  }

  const marker = await requireReady(request.layout, request.target, request.initCommand)
  const answer = await provider.variables({
    environment: request.environment ?? process.env,
    format,
    layout: request.layout,
    marker,
    openVault: request.openVault,
  })
  const variables = [...answer.variables]
  refuseNulValues(request.target, variables)
  let caBundle: string | undefined
  if (answer.caPem !== undefined && !systemTrusts(answer.caPem)) {
    caBundle = await ensureCaBundle(request.layout, request.target, answer.caPem, {write: request.write})
    for (const name of answer.caBundleVariables ?? ['SSL_CERT_FILE']) variables.push({name, value: caBundle})
  }

  return {caBundle, format, target: request.target, variables}
}

async function findTarget(config: Config, target: string): Promise<EnvTarget> {
  const {targets, failures} = await collectEnvTargets(config)
  const found = targets.get(target)
  if (found) return found
  const known = [...targets.keys()].sort()
  throw new HyopsError(ExitCode.Usage, `no target "${target}" gives an environment`, {
    hint:
      (known.length > 0 ? `use one of: ${known.join(', ')}` : 'install a provider plugin') +
      (failures.length > 0 ? `; plugins that failed: ${failures.join('; ')}` : ''),
  })
}

/** The target's marker when it is `ready`; otherwise exit 21 saying why and what to run. */
export async function requireReady(
  layout: RuntimeLayout,
  target: string,
  initCommand: string,
): Promise<ReadinessMarker> {
  const reading = (await readMarkers(layout)).find((r) => r.target === target)
  const hint = `run ${initCommand}`
  if (!reading) {
    throw new HyopsError(
      ExitCode.Secrets,
      `${target} is not initialised in ${layout.root} (no ${layout.markerFile(target)})`,
      {
        hint,
        reason: 'not-ready',
      },
    )
  }

  if (!reading.marker) {
    throw new HyopsError(ExitCode.Secrets, `the readiness marker ${reading.path} is ${reading.error}`, {
      hint,
      reason: 'not-ready',
    })
  }

  const {status, reason} = reading.marker
  if (status !== 'ready') {
    throw new HyopsError(
      ExitCode.Secrets,
      `${target} is not ready in ${layout.root}: its marker says ${status}${reason ? ` (${reason})` : ''}`,
      {hint, reason: 'not-ready'},
    )
  }

  return reading.marker
}
