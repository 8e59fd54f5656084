// The public SDK of hyops: everything a provider plugin may import from 'hyops'.
// Plugins import from here only, never from hyops/dist/... (a test enforces it for plugins/).

// Errors and exit codes
export * from './errors.js'

// Commands: the bases a provider's command extends, and the shared flags
export * from './command/flags.js'
export * from './command/hyops-command.js'
export * from './command/init-command.js'
export * from './command/runtime-vault.js'
export * from './command/vault-command.js'

// Hooks: typed custom events (vault loading, readiness markers, target registration)
export * from './hooks/events.js'
export * from './hooks/init-targets.js'
export * from './hooks/check-targets.js'

// Credentials as a tool's environment (hyops env / exec): the hyops:env-formats hook and its helpers
export * from './env/ca-bundle.js'
export * from './env/hook.js'
export * from './env/render.js'
export * from './env/resolve.js'
export * from './env/credentials-file.js'
export {parseTfvars, TfvarsParseError} from './proxmox/outputs/tfvars.js'

// Runtime root, layout, safe writing (HCL strings for credentials tfvars), evidence, locks
export * from './readiness/marker.js'
export * from './runtime/config-template.js'
export * from './runtime/evidence.js'
export * from './runtime/hcl-string.js'
export * from './runtime/layout.js'
export * from './runtime/lock.js'
export * from './runtime/redact.js'
export * from './runtime/root.js'
export * from './runtime/run-id.js'
export * from './runtime/safe-write.js'
export * from './runtime/user-file.js'

// Vault: ansible-vault codec, env-file codec, password sources
export * from './vault/ansible-vault.js'
export * from './vault/env-file.js'
export * from './vault/open-vault.js'
export * from './vault/password.js'
export type * from './vault/vault-access.js'

// HTTP token validation (axios)
export * from './http/client.js'
export * from './http/errors.js'
export * from './http/token-check.js'

// SSH (node-ssh): connection with known_hosts, key generation and installation
export * from './ssh/connection.js'
export * from './ssh/key-install.js'
export * from './ssh/keygen.js'
export * from './ssh/known-hosts.js'
export * from './ssh/shell-quote.js'

// Operator experience: prompts, progress, summaries
export * from './ux/progress.js'
export * from './ux/prompts.js'
export * from './ux/summary.js'
export * from './ux/terminal.js'

// oclif's own pieces a provider's command and hooks use, from the CLI's copy of @oclif/core:
// a plugin installed with `hyops plugins install` finds only `hyops`, never an @oclif/core of its own
export {Args, Flags} from '@oclif/core'
export type {Command, Config, Hook, Interfaces} from '@oclif/core'
