import type {EnvTarget} from '../../env/hook.js'
import {readProxmoxCredentials} from './credentials.js'
import {PROXMOX_ENV_FORMATS, proxmoxFormatVariables} from './formats.js'

/**
 * The proxmox target of `hyops env` and `hyops exec`: the credentials init wrote, in the
 * variable names of Terraform (TF_VAR_), the bpg and Telmate providers, Packer and Ansible.
 * Python tools (Ansible) read REQUESTS_CA_BUNDLE rather than SSL_CERT_FILE, so that format
 * names the CA bundle in both.
 */
export const proxmoxEnvTarget: EnvTarget = {
  defaultFormat: 'tfvars',
  formats: [...PROXMOX_ENV_FORMATS],
  target: 'proxmox',
  async variables(request) {
    const credentials = await readProxmoxCredentials(request)
    return {
      caBundleVariables: request.format === 'ansible' ? ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE'] : ['SSL_CERT_FILE'],
      caPem: credentials.caPem,
      variables: await proxmoxFormatVariables(request.format, credentials),
    }
  },
}
