import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'

import {usageError} from '../errors.js'

const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/** Where the runtime root came from, for evidence and summaries. */
export type RootSource = '--root' | '--env' | 'HYOPS_RUNTIME_ROOT' | 'HYOPS_ENV' | 'default'

export interface ResolvedRoot {
  root: string
  source: RootSource
  /** The env name when the root is `~/.hybridops/envs/<name>`. */
  envName?: string
}

export interface RootSelection {
  root?: string
  env?: string
  /** Defaults to `process.env`. */
  environment?: NodeJS.ProcessEnv
}

/** `~/.hybridops`, the default runtime root and the home of `envs/`. */
export function hybridopsHome(): string {
  return join(homedir(), '.hybridops')
}

/** Rejects anything but the contract's env names (1-64 chars, no `/`, no `..`). */
export function validateEnvName(name: string, source = '--env'): string {
  if (!ENV_NAME.test(name)) {
    throw usageError(
      `${source} "${name}" is not a valid env name`,
      'use 1-64 characters from A-Z a-z 0-9 _ -, starting with a letter or digit',
    )
  }

  return name
}

/** Resolves the runtime root: `--root`, `--env`, `HYOPS_RUNTIME_ROOT`, `HYOPS_ENV`, `~/.hybridops`. */
export function resolveRuntimeRoot(selection: RootSelection = {}): ResolvedRoot {
  const environment = selection.environment ?? process.env
  if (selection.root !== undefined && selection.env !== undefined) {
    throw usageError('--root and --env cannot be used together', 'pass one of them')
  }

  if (selection.root !== undefined) return {root: absolute(selection.root, '--root'), source: '--root'}
  if (selection.env !== undefined) return envRoot(validateEnvName(selection.env), '--env')
  const fromEnvironment = environment.HYOPS_RUNTIME_ROOT
  if (fromEnvironment) return {root: absolute(fromEnvironment, 'HYOPS_RUNTIME_ROOT'), source: 'HYOPS_RUNTIME_ROOT'}
  if (environment.HYOPS_ENV) return envRoot(validateEnvName(environment.HYOPS_ENV, 'HYOPS_ENV'), 'HYOPS_ENV')
  return {root: hybridopsHome(), source: 'default'}
}

function envRoot(name: string, source: RootSource): ResolvedRoot {
  return {root: join(hybridopsHome(), 'envs', name), source, envName: name}
}

function absolute(path: string, source: string): string {
  if (path.trim() === '') throw usageError(`${source} is empty`, 'give a directory path')
  const expanded = expandHome(path)
  return isAbsolute(expanded) ? expanded : resolve(expanded)
}

/** Expands a leading `~/` the way a shell would. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path
}
