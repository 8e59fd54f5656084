/** The target name: `hyops init hetzner`, `<root>/config/hetzner.conf`, `meta/hetzner.ready.json`. */
export const HETZNER_TARGET = 'hetzner'

/** One line for help and `hyops:init-targets`. */
export const HETZNER_SUMMARY = 'Validate a Hetzner Cloud API token and write Terraform credentials'

/** The vault key and environment variable that hold the token. */
export const TOKEN_KEY = 'HCLOUD_TOKEN'
