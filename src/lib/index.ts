// The public SDK of hyops: everything a provider plugin may import from 'hyops', listed by name.
// Plugins import from here only, never from hyops/dist/... (a test enforces it for plugins/).

// Errors and exit codes (`isHyopsError` checks by shape: a plugin may load another copy of the SDK)
export {
  configError,
  describeError,
  ExitCode,
  HyopsError,
  isHyopsError,
  oneLine,
  remoteError,
  secretsError,
  usageError,
  writeError,
} from './errors.js'
export type {ExitCodeValue, HyopsErrorOptions, HyopsErrorShape} from './errors.js'

// Commands: the bases a provider's command extends, the shared flags, the run guard and the marker helper
export {initFlags, rootFlags, vaultFlags} from './command/flags.js'
export {HyopsCommand} from './command/hyops-command.js'
export type {HyopsArgs, HyopsFlags} from './command/hyops-command.js'
export {InitCommand} from './command/init-command.js'
export type {InitContext, InitFlags, InitResult} from './command/init-command.js'
export {RunGuard} from './command/interrupt.js'
export type {TrappedSignal} from './command/interrupt.js'
export {markerFor} from './command/marker-fields.js'
export type {MarkerFields} from './command/marker-fields.js'
export {loadRuntimeVault, vaultFileOf, vaultPasswordFlags} from './command/runtime-vault.js'
export type {VaultFlagValues} from './command/runtime-vault.js'
export {VAULT_PASSWORD_HELP, VaultCommand, vaultKeyArg} from './command/vault-command.js'

// Config from one key table: resolver (flags > env > config > defaults), checks by kind, flags, template, describe
export {defineConfig, envVarFor} from './config/table.js'
export type {ConfigTable} from './config/table.js'
export type {
  Candidate,
  ConfigFile,
  ConfigKeyLocation,
  ConfigKeySpec,
  ConfigKeyTemplate,
  ConfigSources,
  ConfigTableSpec,
  ResolvedKeySpec,
  ValueCheck,
  ValueSource,
} from './config/types.js'
export {CONFIG_MAX_BYTES, parseConfigText, readConfigFile} from './config/ini.js'
export {CONFIG_LEVELS, ConfigResolver, outranks, resolveConfig} from './config/resolve.js'
export type {ConfigLevel} from './config/resolve.js'
export {BUILTIN_CHECKS, parseBool, parsePort, resolveConfigPath} from './config/checks.js'
export {invalidValue, malformedConfig, missingKey, quoteShort} from './config/errors.js'
export {configFlags} from './config/flags.js'
export type {ConfigFlagNames, ConfigFlags} from './config/flags.js'
export {renderConfigTemplate} from './config/template.js'
export {describeConfig} from './config/describe.js'

// Hooks: typed custom events (vault loading, readiness markers, target registration, live checks)
export {collectTargets, CORE_PACKAGE, runOwnedHook} from './hooks/events.js'
export type {InitTargetInfo, LoadVaultHookOptions, WriteMarkerHookOptions} from './hooks/events.js'
export {collectInitTargets, initTargetsOf} from './hooks/init-targets.js'
export {collectCheckTargets} from './hooks/check-targets.js'
export type {CheckAnswer, CheckRequest, CheckTarget} from './hooks/check-targets.js'
export {collectRevokeTargets} from './hooks/revoke-targets.js'
export type {RevokeAnswer, RevokePlan, RevokeRequest, RevokeTarget} from './hooks/revoke-targets.js'

// Credentials as a tool's environment (hyops env / exec): the hyops:env-formats hook and its helpers
export {caBundleFile, caBundleText, ensureCaBundle, pemCertificates, systemTrusts} from './env/ca-bundle.js'
export {collectEnvTargets} from './env/hook.js'
export type {EnvAnswer, EnvFormatInfo, EnvRequest, EnvTarget, EnvVariable} from './env/hook.js'
export {ENV_OUTPUTS, renderEnv, renderNames} from './env/render.js'
export type {EnvOutput} from './env/render.js'
export {requireReady, resolveTargetEnv} from './env/resolve.js'
export {readCredentialsTfvars, refuseNulValues} from './env/credentials-file.js'
export type {CredentialsFileOptions} from './env/credentials-file.js'
export type {TargetEnv, TargetEnvRequest} from './env/resolve.js'
export {parseTfvars, TfvarsParseError} from './proxmox/outputs/tfvars.js'

// Readiness markers, runtime root, layout, safe writing, evidence, locks
export {readMarker, readMarkers, writeMarker} from './readiness/marker.js'
export type {MarkerReading, ReadinessMarker, ReadinessStatus} from './readiness/marker.js'
export {
  describeExpiry,
  expiryFields,
  expiryState,
  markerExpire,
  markerRenewDays,
  renewBefore,
} from './readiness/token-expiry.js'
export type {ExpiryFields, ExpiryState} from './readiness/token-expiry.js'
export {CLOCK_OFFSET_VARIABLE, processClock, systemClock, unixSeconds} from './time/clock.js'
export type {Clock} from './time/clock.js'
export {stopWithConfigTemplate, writeConfigTemplate} from './runtime/config-template.js'
export type {MissingConfigRequest} from './runtime/config-template.js'
export {Evidence} from './runtime/evidence.js'
export type {EvidenceStart, EvidenceStep} from './runtime/evidence.js'
export {hclString} from './runtime/hcl-string.js'
export {guardDir, makePrivateDir, RESERVED_DIRS, RuntimeLayout} from './runtime/layout.js'
export type {ReservedDir} from './runtime/layout.js'
export {acquireLock} from './runtime/lock.js'
export type {Lock, LockOptions} from './runtime/lock.js'
export {Redactor} from './runtime/redact.js'
export {expandHome, hybridopsHome, resolveRuntimeRoot, validateEnvName} from './runtime/root.js'
export type {ResolvedRoot, RootSelection, RootSource} from './runtime/root.js'
export {newRunId} from './runtime/run-id.js'
export {describeFsError, writeFileSafely} from './runtime/safe-write.js'
export type {SafeWriteOptions} from './runtime/safe-write.js'
export {
  CA_FILE_MAX_BYTES,
  fileKind,
  KEY_FILE_MAX_BYTES,
  LARGE_FILE_MAX_BYTES,
  readUserFile,
  readUserFileAndStats,
  readUserFileSync,
  readUserText,
  SMALL_FILE_MAX_BYTES,
  unreadableReason,
  UserFileError,
} from './runtime/user-file.js'
export type {UserFileOptions, UserFileRefusal} from './runtime/user-file.js'

// Vault: ansible-vault codec, env-file codec, password sources
export {
  decryptVault,
  encryptVault,
  isVaultText,
  readVaultHeader,
  VAULT_CIPHER,
  VAULT_MAGIC,
} from './vault/ansible-vault.js'
export type {DecryptedVault, DecryptVaultOptions, EncryptVaultOptions, VaultHeader} from './vault/ansible-vault.js'
export {DEFAULT_ENV_HEADER, formatEnvFile, isValidEnvKey, parseEnvFile, quoteEnvValue} from './vault/env-file.js'
export type {EnvFile} from './vault/env-file.js'
export {openVault} from './vault/open-vault.js'
export {
  PASSWORD_ENVIRONMENT,
  PASSWORD_FILE_MAX_BYTES,
  readPasswordFile,
  resolveVaultPassword,
  runPasswordCommand,
} from './vault/password.js'
export type {PasswordPurpose, VaultPassword} from './vault/password.js'
export type {LoadedVault, VaultAccessOptions} from './vault/vault-access.js'

// HTTP token validation (axios)
export {createHttpClient, trustedRoots} from './http/client.js'
export type {HttpClient, HttpClientOptions, TlsOptions} from './http/client.js'
export {describeHttpError, HttpFailure, httpStatusFailure, isTlsErrorCode, safeUrl} from './http/errors.js'
export type {HttpFailureKind} from './http/errors.js'
export {validateToken} from './http/token-check.js'
export type {TokenCheckAnswer, TokenCheckOptions} from './http/token-check.js'

// SSH (node-ssh): connection with known_hosts, key generation and installation
export {connectSsh, mapConnectError, preferHostKeyAlgorithms} from './ssh/connection.js'
export type {SshConnectOptions, SshExecOptions, SshExecResult, SshFailureReason, SshSession} from './ssh/connection.js'
export {installAuthorizedKey} from './ssh/key-install.js'
export type {
  KeyInstallOptions,
  KeyInstallSession,
  NodeSshLike,
  RemoteExec,
  RemoteExecResult,
} from './ssh/key-install.js'
export {
  generateEd25519KeyPair,
  generateWellFormedPair,
  isWellFormedEd25519Pair,
  parsePublicKeyLine,
  publicKeyPath,
  readPublicKey,
} from './ssh/keygen.js'
export type {GeneratedKeyPair, OpenSshKeyPair, PublicKeyLine} from './ssh/keygen.js'
export {
  appendKnownHost,
  entryMatchesHost,
  fingerprintSha256,
  HOST_KEY_POLICIES,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
  verifyHostKey,
} from './ssh/known-hosts.js'
export type {
  ConfirmNewHostKey,
  HostKeyCheck,
  HostKeyPolicy,
  KnownHostEntry,
  VerifyHostKeyOptions,
} from './ssh/known-hosts.js'
export {envPrefix, shellQuote} from './ssh/shell-quote.js'

// Operator experience: prompts, progress, summaries
export {formatDuration, Progress, progressMode} from './ux/progress.js'
export type {ProgressMode, ProgressOptions, ProgressStepRecord, ProgressStream} from './ux/progress.js'
export {
  askConfirm,
  askInput,
  askKeyPassphrase,
  askNewSecret,
  askSecret,
  askVaultPassword,
  confirmGenerateKey,
  confirmInstallKey,
  confirmTrustHostKey,
  NEW_SECRET_ATTEMPTS,
} from './ux/prompts.js'
export type {PromptStreams} from './ux/prompts.js'
export {renderSummary, summaryColor} from './ux/summary.js'
export type {Summary, SummaryPath, SummaryRenderOptions, SummaryRow, SummaryWarning} from './ux/summary.js'
export {canPrompt, fancyOutput, printable} from './ux/terminal.js'
export {layoutColumns} from './ux/columns.js'
export type {ColumnOptions, ColumnRow} from './ux/columns.js'
export {messageFor, outputWidth, STABLE_WIDTH, widestLine, wrappedFor, wrapText} from './ux/wrap.js'
export type {WidthStream} from './ux/wrap.js'

// oclif's own pieces a provider's command and hooks use, from the CLI's copy of @oclif/core:
// a plugin installed with `hyops plugins install` finds only `hyops`, never an @oclif/core of its own
export {Args, Flags} from '@oclif/core'
export type {Command, Config, Hook, Interfaces} from '@oclif/core'
// The types of flag and argument definitions, so that a plugin's declarations (`declaration: true`) can name
// the inferred type of its `static flags` through `hyops`, also where @oclif/core itself is not resolvable.
export type {Arg, BooleanFlag, Flag, OptionFlag} from '@oclif/core/interfaces'
