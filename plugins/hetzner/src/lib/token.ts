import {HyopsError, ExitCode, isHyopsError, type LoadedVault} from 'hyops'

import {TOKEN_KEY} from './target.js'

/** Where the token came from, in the spec's order. */
export type TokenSource = '--token' | 'HCLOUD_TOKEN' | 'vault' | 'config' | 'prompt'

export interface ResolvedToken {
  value: string
  source: TokenSource
}

/** The places a token may come from; each is consulted only when the ones before gave nothing. */
export interface TokenSources {
  /** `--token`. */
  flag?: string
  /** `HCLOUD_TOKEN` from the shell environment. */
  environment?: string
  /** Opens the runtime vault (may prompt for its password when interactive). */
  openVault: () => Promise<LoadedVault>
  /** `HCLOUD_TOKEN` from the config file. */
  config?: string
  /** A hidden prompt; absent when prompts are not allowed. */
  prompt?: () => Promise<string>
  /** Prints a warning on stderr. */
  warn: (message: string) => void
}

/** The token, plus the vault when it was opened on the way (so a later save does not ask again). */
export interface TokenResolution extends ResolvedToken {
  vault?: LoadedVault
}

/**
 * Finds the token: `--token` (warned), `HCLOUD_TOKEN`, the vault when it can be decrypted,
 * the config file (warned), then the prompt. No token and no prompt: exit 21 with guidance.
 * A vault without any password source is skipped; any other vault failure is exit 21 as is.
 */
export async function resolveHetznerToken(sources: TokenSources): Promise<TokenResolution> {
  const flag = clean(sources.flag)
  if (flag) {
    sources.warn(
      '--token puts the token into the process arguments and the shell history; prefer HCLOUD_TOKEN or the vault.',
    )
    return {source: '--token', value: flag}
  }

  const environment = clean(sources.environment)
  if (environment) return {source: 'HCLOUD_TOKEN', value: environment}

  let vault: LoadedVault | undefined
  let vaultSkipped: string | undefined
  try {
    vault = await sources.openVault()
  } catch (error) {
    if (!isHyopsError(error, 'no-password')) throw error
    vaultSkipped = error.message
  }

  const fromVault = clean(vault?.values[TOKEN_KEY])
  if (fromVault) return {source: 'vault', value: fromVault, vault}

  const fromConfig = clean(sources.config)
  if (fromConfig) {
    sources.warn(
      `${TOKEN_KEY} in the config file is accepted for backwards compatibility; move it to the ` +
        `vault (hyops vault set ${TOKEN_KEY}) and remove it from the config.`,
    )
    return {source: 'config', value: fromConfig, vault}
  }

  if (sources.prompt) return {source: 'prompt', value: await promptedToken(sources.prompt), vault}

  throw new HyopsError(
    ExitCode.Secrets,
    `no Hetzner API token${vaultSkipped ? ` (the vault was not opened: ${vaultSkipped})` : ''}`,
    {
      hint:
        `set ${TOKEN_KEY} in the environment, store it with hyops vault set ${TOKEN_KEY} (and pass ` +
        `a vault password source), or run without --non-interactive on a terminal`,
      reason: 'no-token',
    },
  )
}

/** A token typed at the prompt, trimmed; an empty one is exit 21. */
export async function promptedToken(ask: () => Promise<string>): Promise<string> {
  const answer = clean(await ask())
  if (!answer)
    throw new HyopsError(ExitCode.Secrets, 'the token entered is empty', {
      hint: 'paste the API token of your Hetzner Cloud project',
      reason: 'no-token',
    })
  return answer
}

function clean(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed ? trimmed : undefined
}
