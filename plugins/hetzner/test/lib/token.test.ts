import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ExitCode, HyopsError, type LoadedVault} from 'hyops'

import {resolveHetznerToken, type TokenSources} from '../../src/lib/token.js'
import {MemoryVault} from '../helpers/memory-vault.js'

function sources(overrides: Partial<TokenSources> = {}): TokenSources & {warnings: string[]; opened: number} {
  const state = {opened: 0, warnings: [] as string[]}
  return Object.assign(state, {
    openVault: async (): Promise<LoadedVault> => {
      state.opened++
      return new MemoryVault()
    },
    warn: (message: string) => state.warnings.push(message),
    ...overrides,
  })
}

const vaultWith = (values: Record<string, string>) => async () => new MemoryVault(values)
const noPassword = async (): Promise<LoadedVault> => {
  throw new HyopsError(ExitCode.Secrets, 'no vault password for /v', {reason: 'no-password'})
}

describe('Hetzner token resolution', () => {
  it('takes --token first, with a warning, and does not open the vault', async () => {
    const s = sources({config: 'c', environment: 'e', flag: ' f \n'})
    assert.deepEqual(await resolveHetznerToken(s), {source: '--token', value: 'f'})
    assert.equal(s.opened, 0)
    assert.match(s.warnings.join('\n'), /--token puts the token into the process arguments/)
  })

  it('then HCLOUD_TOKEN from the environment, without warning', async () => {
    const s = sources({config: 'c', environment: 'e', openVault: vaultWith({HCLOUD_TOKEN: 'v'})})
    assert.deepEqual(await resolveHetznerToken(s), {source: 'HCLOUD_TOKEN', value: 'e'})
    assert.deepEqual(s.warnings, [])
  })

  it('then the vault, keeping it open for a later save', async () => {
    const s = sources({
      config: 'c',
      environment: '  ',
      openVault: vaultWith({HCLOUD_TOKEN: 'v'}),
      prompt: async () => 'p',
    })
    const token = await resolveHetznerToken(s)
    assert.equal(token.source, 'vault')
    assert.equal(token.value, 'v')
    assert.ok(token.vault instanceof MemoryVault)
  })

  it('then the config file, with a warning', async () => {
    const s = sources({config: 'c', prompt: async () => 'p'})
    assert.equal((await resolveHetznerToken(s)).source, 'config')
    assert.match(s.warnings.join('\n'), /backwards compatibility/)
  })

  it('then the prompt, refusing an empty answer with exit 21', async () => {
    assert.equal((await resolveHetznerToken(sources({prompt: async () => 'typed'}))).source, 'prompt')
    await assert.rejects(
      resolveHetznerToken(sources({prompt: async () => '   '})),
      (e: unknown) => e instanceof HyopsError && e.exitCode === 21,
    )
  })

  it('skips a vault that has no password source, and says so when nothing else has a token (exit 21)', async () => {
    assert.equal((await resolveHetznerToken(sources({config: 'c', openVault: noPassword}))).source, 'config')
    await assert.rejects(resolveHetznerToken(sources({openVault: noPassword})), (error: unknown) => {
      assert.ok(error instanceof HyopsError)
      assert.equal(error.exitCode, ExitCode.Secrets)
      assert.equal(error.reason, 'no-token')
      assert.match(error.message, /no Hetzner API token \(the vault was not opened: no vault password/)
      assert.match(error.hint ?? '', /HCLOUD_TOKEN/)
      return true
    })
  })

  it('recognises the no-password failure by its shape, even from another copy of the SDK', async () => {
    const foreign = Object.assign(new Error('no vault password for /v'), {
      exitCode: 21,
      name: 'HyopsError',
      reason: 'no-password',
    })
    const s = sources({
      config: 'c',
      openVault: async () => {
        throw foreign
      },
    })
    assert.equal((await resolveHetznerToken(s)).source, 'config')
  })

  it('lets any other vault failure (a wrong password, a damaged file) through as it is', async () => {
    const wrong = new HyopsError(ExitCode.Secrets, 'wrong vault password', {reason: 'bad-password'})
    await assert.rejects(
      resolveHetznerToken(
        sources({
          config: 'c',
          openVault: async () => {
            throw wrong
          },
        }),
      ),
      (error: unknown) => error === wrong,
    )
  })
})
