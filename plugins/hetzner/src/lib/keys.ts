import {defineConfig, invalidValue} from 'hyops'

import {TOKEN_KEY} from './target.js'

/** The public Hetzner Cloud API. */
export const DEFAULT_HCLOUD_API = 'https://api.hetzner.cloud'

/** `hetzner.conf`: plain `KEY = value` lines; the key table drives flags, env names, checks and the template. */
export const HETZNER_CONFIG = defineConfig({
  checks: {
    'https-url'(candidate, key) {
      const url = URL.canParse(candidate.value) ? new URL(candidate.value) : undefined
      if (url === undefined) throw invalidValue(key, candidate, 'a URL', `use e.g. ${DEFAULT_HCLOUD_API}`)
      if (url.protocol !== 'https:')
        throw invalidValue(key, candidate, 'an https:// URL', 'the token must not travel in clear text')
      if (url.search || url.hash || url.username || url.password)
        throw invalidValue(key, candidate, 'a plain base URL', `use e.g. ${DEFAULT_HCLOUD_API}`)
      return url.href.replace(/\/+$/, '')
    },
  },
  header: [
    'hyops init hetzner: one KEY = value a line; # starts a comment.',
    'The API token is a secret and does not belong here. Give it through the HCLOUD_TOKEN',
    'environment variable, the runtime vault (hyops vault set HCLOUD_TOKEN) or the prompt.',
  ],
  keys: [
    {
      default: DEFAULT_HCLOUD_API,
      description: 'Hetzner Cloud API endpoint (https)',
      flag: 'hcloud-api',
      key: 'HCLOUD_API',
      kind: 'https-url',
      template: {comment: ['Hetzner Cloud API endpoint.'], value: DEFAULT_HCLOUD_API},
    },
    {
      description: 'Where the Terraform credentials go (default: <root>/credentials/hetzner.credentials.tfvars)',
      flag: 'hcloud-tfvars-out',
      key: 'HCLOUD_TFVARS_OUT',
      kind: 'path',
      template: {
        commented: true,
        comment: ['Where the Terraform credentials go (default: <root>/credentials/hetzner.credentials.tfvars).'],
        value: '',
      },
    },
    {
      description: 'A PEM CA bundle trusted for HCLOUD_API besides the system CAs',
      flag: 'hcloud-ca-file',
      key: 'HCLOUD_CA_FILE',
      kind: 'path',
      template: {
        commented: true,
        comment: ['A PEM CA bundle to trust for HCLOUD_API besides the system CAs (a proxy or a private endpoint).'],
        value: '',
      },
    },
    {
      description: 'The API token (accepted for backwards compatibility, with a warning)',
      key: TOKEN_KEY,
      kind: 'text',
      secret: true,
    },
  ],
  target: 'hetzner',
  title: 'Hetzner',
})
