import {
  ExitCode,
  HyopsError,
  isHyopsError,
  markerFor,
  stopWithConfigTemplate,
  type InitContext,
  type InitResult,
  type LoadedVault,
  type ReadinessMarker,
} from 'hyops'

import {validateHetznerToken, type HetznerApiTarget} from './api.js'
import {hetznerConfigTemplate, loadHetznerConfig, type HetznerConfig} from './config.js'
import {HETZNER_TARGET, TOKEN_KEY} from './target.js'
import {planHetznerTfvars, renderHetznerTfvars, writeHetznerTfvars, type TfvarsPlan} from './tfvars.js'
import {promptedToken, resolveHetznerToken, type TokenResolution, type TokenSource} from './token.js'

/** What the run needs from its command: the core's hooks, a prompt, and where to print. */
export interface HetznerInitIO {
  /** `--token`. */
  tokenFlag?: string
  /** The shell environment (`HCLOUD_TOKEN`, `HYOPS_HETZNER_*`). */
  environment: NodeJS.ProcessEnv
  /** The parsed flags (the config keys' flags are read). */
  flags?: Record<string, unknown>
  /** Opens the runtime vault (the core's `hyops:load-vault` hook). */
  loadVault: () => Promise<LoadedVault>
  /** Writes the readiness marker (the core's `hyops:write-marker` hook); returns its path. */
  writeMarker: (marker: ReadinessMarker) => Promise<string>
  /** Asks for a token without echoing it; absent when prompts are not allowed. */
  promptToken?: (message: string) => Promise<string>
  /** Results and remediation, on stdout. */
  log: (line: string) => void
  /** Warnings, on stderr. */
  warn: (line: string) => void
}

/** The outcome of `hyops init hetzner`; holds no secret. */
export interface HetznerInitResult extends InitResult {
  status: 'ready' | 'dry-run'
  api_url: string
  token_source: TokenSource
  credentials: string
  credentials_action: TfvarsPlan
  /**
   * `saved`, `unchanged` (already there), `skipped` (no password source), `not-needed` (token from
   * env/vault/config).
   */
  vault: 'saved' | 'unchanged' | 'skipped' | 'not-needed'
  marker?: string
}

/** Sources whose token the spec asks to keep in the vault. */
const SAVED_SOURCES: ReadonlySet<TokenSource> = new Set(['--token', 'prompt'])

/**
 * `hyops init hetzner`: config (template and exit 10 when missing), token (flag, environment,
 * vault, config, prompt), validation against `<HCLOUD_API>/v1/servers` before anything is
 * written, then the vault (for a flag-given or prompted token), the 0600 credentials file and
 * the readiness marker, in that order.
 */
export async function initHetzner(context: InitContext, io: HetznerInitIO): Promise<HetznerInitResult> {
  const {evidence, flags} = context
  const config = await readConfig(context, io)
  const credentials = config.tfvarsOut ?? context.layout.credentialsFile(HETZNER_TARGET)
  const api: HetznerApiTarget = {apiUrl: config.apiUrl, caFile: config.caFile}
  await evidence.record({hetzner: {api_url: config.apiUrl, ca_file: config.caFile ?? null, credentials}})

  let token = await resolveHetznerToken({
    config: config.token,
    environment: io.environment[TOKEN_KEY],
    flag: io.tokenFlag,
    openVault: io.loadVault,
    prompt: io.promptToken && (() => io.promptToken!('Hetzner Cloud API token')),
    warn: io.warn,
  })
  evidence.redactor.addSecret(token.value)
  token = await validateWithOneRetry(context, io, api, token)
  await evidence.record({token_source: token.source})

  const content = renderHetznerTfvars(token.value)
  const plan = await planHetznerTfvars(credentials, content, flags.force)
  if (plan === 'refuse') {
    throw new HyopsError(ExitCode.Write, `${credentials} exists and holds other credentials; it was left as it is`, {
      hint: 'pass --force to replace it',
      reason: 'output-exists',
    })
  }

  const wantsVault = SAVED_SOURCES.has(token.source)
  if (flags['dry-run']) {
    io.log(`Dry run: the token from ${token.source} is valid (${config.apiUrl}).`)
    io.log(`Would ${plan === 'unchanged' ? 'keep' : plan} ${credentials} (mode 0600).`)
    if (wantsVault)
      io.log(`Would save ${TOKEN_KEY} to the vault ${context.vaultFile} when a vault password source is given.`)
    io.log(`Would write the readiness marker ${context.layout.markerFile(HETZNER_TARGET)}.`)
    await evidence.note('write-outputs', 'skipped', 'dry run')
    return {
      api_url: config.apiUrl,
      credentials,
      credentials_action: plan,
      status: 'dry-run',
      token_source: token.source,
      vault: wantsVault ? 'skipped' : 'not-needed',
    }
  }

  const vault = wantsVault ? await saveToVault(context, io, token) : 'not-needed'
  if (plan === 'unchanged') {
    await evidence.note('write-credentials', 'skipped', 'same content already in place')
  } else {
    await evidence.step(
      'write-credentials',
      () => writeHetznerTfvars(credentials, content),
      () => `${plan} ${credentials}`,
    )
    evidence.fileWritten(credentials)
  }

  const marker = await evidence.step('write-marker', () =>
    io.writeMarker(
      markerFor(context, {
        api_url: config.apiUrl,
        paths: {config: config.file, credentials},
        token_source: token.source,
        vault_saved: vault === 'saved' || vault === 'unchanged',
      }),
    ),
  )

  io.log(`hetzner: ready (token from ${token.source}, validated against ${config.apiUrl})`)
  io.log(`  credentials: ${credentials}${plan === 'unchanged' ? ' (unchanged)' : ''}`)
  if (vault === 'saved') io.log(`  vault: ${TOKEN_KEY} saved to ${context.vaultFile}`)
  io.log(`  marker: ${marker}`)
  return {
    api_url: config.apiUrl,
    credentials,
    credentials_action: plan,
    marker,
    status: 'ready',
    token_source: token.source,
    vault,
  }
}

/** Loads the config, or writes the template and stops with exit 10 (nothing written in a dry run). */
async function readConfig(context: InitContext, io: HetznerInitIO): Promise<HetznerConfig> {
  const file = context.configFile
  const config = await context.evidence.step(
    'read-config',
    () => loadHetznerConfig(file, context.root.root, {environment: io.environment, flags: io.flags}),
    (c) => (c ? file : 'missing'),
  )
  if (config) {
    if (config.unknownKeys.length > 0) io.warn(`${file}: unknown key(s) ${config.unknownKeys.join(', ')} ignored`)
    return config
  }

  return stopWithConfigTemplate({
    dryRun: context.flags['dry-run'],
    fileWritten: (path) => context.evidence.fileWritten(path),
    log: io.log,
    path: file,
    remediation:
      `Wrote a config template to ${file}.\nReview it (the defaults work for the public Hetzner ` +
      `Cloud API), then run: hyops init hetzner${context.flags.config ? ` --config ${file}` : ''}`,
    template: hetznerConfigTemplate(),
  })
}

/** Validates; a token the API refuses may be replaced once through the prompt, when there is one. */
async function validateWithOneRetry(
  context: InitContext,
  io: HetznerInitIO,
  api: HetznerApiTarget,
  token: TokenResolution,
): Promise<TokenResolution> {
  const validate = (value: string) =>
    context.evidence.step(
      'validate-token',
      () => validateHetznerToken(value, api),
      (v) => `${v.url} answered ${v.status}`,
    )
  try {
    await validate(token.value)
    return token
  } catch (error) {
    if (!(isHyopsError(error, 'token-rejected') && io.promptToken)) throw error
    io.warn(`${error.message} (token from ${token.source}).`)
  }

  const promptToken = io.promptToken
  const value = await promptedToken(() => promptToken('Hetzner Cloud API token (the previous one was refused)'))
  context.evidence.redactor.addSecret(value)
  await validate(value)
  return {source: 'prompt', value, vault: token.vault}
}

/** Saves a flag-given or prompted token to the vault; skipped (with a warning) when no password source exists. */
async function saveToVault(
  context: InitContext,
  io: HetznerInitIO,
  token: TokenResolution,
): Promise<HetznerInitResult['vault']> {
  const skipped = (why: string) => {
    io.warn(
      `${TOKEN_KEY} was not saved to the vault: ${why}. Pass --vault-password-file or ` +
        `--vault-password-command to keep it there.`,
    )
    return 'skipped' as const
  }

  let vault = token.vault
  try {
    vault ??= await io.loadVault()
    if (vault.values[TOKEN_KEY] === token.value) return 'unchanged'
    await vault.ensureWritable()
  } catch (error) {
    if (isHyopsError(error, 'no-password')) return skipped('no vault password source')
    throw error
  }

  const opened = vault
  await context.evidence.step(
    'save-vault',
    () => opened.update({[TOKEN_KEY]: token.value}),
    () => `${TOKEN_KEY} → ${opened.file}`,
  )
  context.evidence.fileWritten(opened.file)
  return 'saved'
}
