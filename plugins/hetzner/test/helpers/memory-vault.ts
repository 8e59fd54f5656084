import {ExitCode, HyopsError, type LoadedVault} from 'hyops'

/**
 * An in-memory stand-in for the core's vault, for unit tests of the token flow (the CLI tests
 * use the real ansible-vault file). `writable: false` behaves like a vault with no password source.
 */
export class MemoryVault implements LoadedVault {
  readonly file = '/memory/bootstrap.vault.env'
  readonly updates: Array<Record<string, string | undefined>> = []
  private stored: Record<string, string>
  private readonly writable: boolean

  constructor(values: Record<string, string> = {}, options: {writable?: boolean} = {}) {
    this.stored = {...values}
    this.writable = options.writable ?? true
  }

  get exists(): boolean {
    return Object.keys(this.stored).length > 0
  }

  get values(): Readonly<Record<string, string>> {
    return this.stored
  }

  get passwordSource(): string | undefined {
    return this.writable ? 'memory' : undefined
  }

  async ensureWritable(): Promise<void> {
    if (!this.writable)
      throw new HyopsError(ExitCode.Secrets, `no vault password for ${this.file}`, {reason: 'no-password'})
  }

  async update(changes: Record<string, string | undefined>): Promise<Record<string, string>> {
    await this.ensureWritable()
    this.updates.push(changes)
    const next = {...this.stored}
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete next[key]
      else next[key] = value
    }

    this.stored = next
    return {...next}
  }
}
