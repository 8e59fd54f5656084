import {Flags} from '@oclif/core'

/** Selects the runtime root; every hyops command has these. */
export const rootFlags = {
  root: Flags.string({
    description: 'Runtime root directory (default: HYOPS_RUNTIME_ROOT, HYOPS_ENV, ~/.hybridops)',
    helpGroup: 'GLOBAL',
    exclusive: ['env'],
  }),
  env: Flags.string({
    description: 'Use ~/.hybridops/envs/<name> as the runtime root',
    helpGroup: 'GLOBAL',
    exclusive: ['root'],
  }),
}

/** Reaches the runtime vault. */
export const vaultFlags = {
  'vault-file': Flags.string({
    description: 'ansible-vault env file (default: <root>/vault/bootstrap.vault.env)',
    helpGroup: 'VAULT',
  }),
  'vault-password-file': Flags.string({
    description: 'File holding the vault password (wins over --vault-password-command)',
    helpGroup: 'VAULT',
  }),
  'vault-password-command': Flags.string({
    description: 'Shell command whose stdout is the vault password',
    helpGroup: 'VAULT',
  }),
  'non-interactive': Flags.boolean({
    description: 'Never prompt; fail with guidance where a prompt would be needed',
    helpGroup: 'GLOBAL',
  }),
}

/** The contract's shared flags of every `hyops init <target>`. */
export const initFlags = {
  config: Flags.string({description: 'Config file (default: <root>/config/<target>.conf)', helpGroup: 'INIT'}),
  force: Flags.boolean({
    description: 'Overwrite generated templates and outputs (a target may say more in its own help)',
    helpGroup: 'INIT',
  }),
  'dry-run': Flags.boolean({
    description: 'Report what would be done; write no credentials, markers or vault updates',
    helpGroup: 'INIT',
  }),
  'out-dir': Flags.string({
    description: 'Evidence directory (default: <root>/logs/init/<target>/<run_id>)',
    helpGroup: 'INIT',
  }),
}
