import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {Parser} from '@oclif/core'

import {resolveProxmoxInputs} from '../../../../src/lib/proxmox/config/resolve.js'
import {
  CONFIG_KEYS,
  configKeyForName,
  configKeySpec,
  envVarForKey,
  proxmoxConfigFlags,
} from '../../../../src/lib/proxmox/config/keys.js'

describe('config key table', () => {
  it('holds every essential key with its default, and the optional ones', () => {
    const defaults = Object.fromEntries(
      CONFIG_KEYS.map((spec) => [spec.key, 'default' in spec ? spec.default : undefined]),
    )
    assert.deepEqual(
      {
        FALLBACK_BRIDGE: defaults.FALLBACK_BRIDGE,
        FALLBACK_STORAGE_ISO: defaults.FALLBACK_STORAGE_ISO,
        FALLBACK_STORAGE_VM: defaults.FALLBACK_STORAGE_VM,
        HTTP_PORT: defaults.HTTP_PORT,
        PROXMOX_API_PORT: defaults.PROXMOX_API_PORT,
        PROXMOX_SSH_KEY: defaults.PROXMOX_SSH_KEY,
        PROXMOX_SSH_PORT: defaults.PROXMOX_SSH_PORT,
        PROXMOX_SSH_USERNAME: defaults.PROXMOX_SSH_USERNAME,
        TLS_SKIP: defaults.TLS_SKIP,
        TOKEN_NAME: defaults.TOKEN_NAME,
      },
      {
        FALLBACK_BRIDGE: 'vmbr0',
        FALLBACK_STORAGE_ISO: 'local',
        FALLBACK_STORAGE_VM: 'local-lvm',
        HTTP_PORT: '8802',
        PROXMOX_API_PORT: '8006',
        PROXMOX_SSH_KEY: '~/.ssh/id_ed25519',
        PROXMOX_SSH_PORT: '22',
        PROXMOX_SSH_USERNAME: 'root',
        TLS_SKIP: 'true',
        TOKEN_NAME: 'infra-token',
      },
    )
    const essential = CONFIG_KEYS.filter((spec) => 'essential' in spec)
      .map((spec) => spec.key)
      .sort()
    assert.deepEqual(essential, [
      'FALLBACK_BRIDGE',
      'FALLBACK_STORAGE_ISO',
      'FALLBACK_STORAGE_VM',
      'HTTP_BIND_ADDRESS',
      'HTTP_PORT',
      'PROXMOX_IP',
      'PROXMOX_SSH_KEY',
      'PROXMOX_SSH_USERNAME',
      'TLS_SKIP',
      'TOKEN_NAME',
      'USER_FQ',
    ])
    for (const extra of [
      'PROXMOX_API_PORT',
      'PROXMOX_SSH_PORT',
      'FALLBACK_STORAGE_SNIPPETS',
      'TLS_CA_FILE',
      'SSH_PUBLIC_KEY',
    ] as const)
      assert.ok(configKeySpec(extra))
    assert.deepEqual(
      CONFIG_KEYS.filter((spec) => 'required' in spec)
        .map((spec) => spec.key)
        .sort(),
      ['PROXMOX_IP', 'USER_FQ'],
    )
  })

  it('env vars follow HYOPS_PROXMOX_<KEY> with a leading PROXMOX_ dropped', () => {
    for (const spec of CONFIG_KEYS) assert.equal(spec.env, envVarForKey(spec.key), spec.key)
    assert.equal(configKeySpec('PROXMOX_IP').env, 'HYOPS_PROXMOX_IP')
    assert.equal(configKeySpec('PROXMOX_SSH_KEY').env, 'HYOPS_PROXMOX_SSH_KEY')
    assert.equal(configKeySpec('USER_FQ').env, 'HYOPS_PROXMOX_USER_FQ')
    assert.equal(configKeySpec('PROXMOX_API_PORT').env, 'HYOPS_PROXMOX_API_PORT')
  })

  it('maps every legacy lowercase key of the Python hyops; port is the API port', () => {
    const legacy: Record<string, string> = {
      api_token_id: 'API_TOKEN_ID',
      fallback_bridge: 'FALLBACK_BRIDGE',
      fallback_storage_iso: 'FALLBACK_STORAGE_ISO',
      fallback_storage_snippets: 'FALLBACK_STORAGE_SNIPPETS',
      fallback_storage_vm: 'FALLBACK_STORAGE_VM',
      host: 'PROXMOX_IP',
      http_bind_address: 'HTTP_BIND_ADDRESS',
      http_port: 'HTTP_PORT',
      port: 'PROXMOX_API_PORT',
      ssh_private_key: 'PROXMOX_SSH_KEY',
      ssh_public_key: 'SSH_PUBLIC_KEY',
      ssh_username: 'PROXMOX_SSH_USERNAME',
      tls_skip: 'TLS_SKIP',
      token_name: 'TOKEN_NAME',
      user_fq: 'USER_FQ',
    }
    for (const [alias, key] of Object.entries(legacy)) assert.equal(configKeyForName(alias), key, alias)
    assert.equal(configKeyForName('Proxmox_Ip'), 'PROXMOX_IP')
    assert.equal(configKeyForName('nope'), undefined)
  })

  it('every key has a distinct string flag in the PROXMOX help group', () => {
    const names = CONFIG_KEYS.map((spec) => spec.flag)
    assert.equal(new Set(names).size, names.length)
    for (const name of [
      'proxmox-ip',
      'user-fq',
      'token-name',
      'tls-skip',
      'http-port',
      'api-port',
      'ssh-port',
      'ssh-username',
      'ssh-key',
      'ssh-public-key',
      'tls-ca-file',
      'http-bind-address',
      'fallback-storage-vm',
      'fallback-storage-iso',
      'fallback-storage-snippets',
      'fallback-bridge',
    ]) {
      const flag = (proxmoxConfigFlags as Record<string, {type: string; helpGroup?: string; description?: string}>)[
        name
      ]
      assert.ok(flag, name)
      assert.equal(flag.type, 'option')
      assert.equal(flag.helpGroup, 'PROXMOX')
      assert.ok(flag.description && flag.description.length > 10)
    }
  })

  it('oclif parses them as strings that resolve like any other source (--tls-skip false works)', async () => {
    const {flags} = await Parser.parse(
      ['--proxmox-ip', '10.0.0.7', '--user-fq', 'a@pam', '--tls-skip', 'false', '--api-port', '8443'],
      {flags: proxmoxConfigFlags},
    )
    const tlsSkip: string | undefined = flags['tls-skip']
    assert.equal(tlsSkip, 'false')
    const inputs = resolveProxmoxInputs({configPath: '/c.conf', environment: {}, flags})
    assert.equal(inputs.tlsSkip, false)
    assert.equal(inputs.apiPort, 8443)
    assert.equal(inputs.sources.tlsSkip, 'flag')
    assert.equal(inputs.host, '10.0.0.7')
  })
})
