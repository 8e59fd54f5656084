/**
 * The privilege profiles of `PRIVILEGE_PROFILE`: what the role hyops manages on `/` holds, and why each
 * privilege is there. A profile may name privileges a Proxmox VE version does not know (VM.Monitor is gone
 * in 9, VM.GuestAgent.Audit is new in 9): the bootstrap keeps only those the host knows (its Administrator
 * role holds every valid one), so the same profile works on 7, 8 and 9.
 */

/** The profiles; `custom` takes its privileges from `PRIVILEGES`. */
export const PRIVILEGE_PROFILE_NAMES = ['terraform', 'packer', 'minimal', 'custom'] as const
export type PrivilegeProfileName = (typeof PRIVILEGE_PROFILE_NAMES)[number]

export const DEFAULT_PRIVILEGE_PROFILE: PrivilegeProfileName = 'terraform'
export const DEFAULT_ROLE_NAME = 'HyopsAutomation'

/**
 * The Telmate provider's start-up check (`proxmox/provider.go`, `minimumPermissions`): it reads the user's
 * privileges at `/` and stops with "permissions ... are not sufficient" unless all of these are there.
 */
export const TELMATE_MINIMUM = [
  'Datastore.AllocateSpace',
  'Datastore.Audit',
  'Pool.Allocate',
  'Pool.Audit',
  'Sys.Audit',
  'Sys.Console',
  'Sys.Modify',
  'VM.Allocate',
  'VM.Audit',
  'VM.Clone',
  'VM.Config.CDROM',
  'VM.Config.Cloudinit',
  'VM.Config.CPU',
  'VM.Config.Disk',
  'VM.Config.HWType',
  'VM.Config.Memory',
  'VM.Config.Network',
  'VM.Config.Options',
  'VM.Migrate',
  'VM.PowerMgmt',
] as const

/** Why a privilege is in a profile (docs, `--help` of the profiles, the README). */
export const PRIVILEGE_REASONS: Readonly<Record<string, string>> = {
  'Datastore.AllocateSpace': 'allocate VM disks and cloud-init drives on the storages',
  'Datastore.AllocateTemplate': 'upload ISOs, container templates and snippets (bpg files, Packer ISO upload)',
  'Datastore.Audit': 'list storages and their content',
  'Pool.Allocate': "put VMs into a resource pool (bpg pool_id, Packer pool); in Telmate's start-up check",
  'Pool.Audit': "read resource pools; in Telmate's start-up check",
  'SDN.Use': 'attach a NIC to a bridge (checked on /sdn/zones/localnetwork/<bridge> since 8.0)',
  'Sys.Audit': 'read nodes, tasks and cluster status; download-url needs it on /',
  'Sys.Console': "in Telmate's start-up check",
  'Sys.Modify': "download-url (bpg download_file, Packer iso_download_pve); in Telmate's start-up check",
  'VM.Allocate': 'create, delete and convert VMs to templates',
  'VM.Audit': 'read VM configuration and status',
  'VM.Clone': 'clone templates',
  'VM.Config.CDROM': 'attach ISOs',
  'VM.Config.CPU': 'set CPU type and cores',
  'VM.Config.Cloudinit': 'set cloud-init user, keys and network',
  'VM.Config.Disk': 'add and resize disks',
  'VM.Config.HWType': 'set machine, BIOS, SCSI controller and display',
  'VM.Config.Memory': 'set memory',
  'VM.Config.Network': 'add and change NICs',
  'VM.Config.Options': 'set name, boot order, agent and other options',
  'VM.Console': "Packer's boot_command (sendkey) and the consoles",
  'VM.GuestAgent.Audit': 'read guest agent data such as IP addresses (Proxmox VE 9)',
  'VM.Migrate': "move VMs between nodes; in Telmate's start-up check",
  'VM.Monitor': 'read guest agent data such as IP addresses (Proxmox VE 8 and older)',
  'VM.PowerMgmt': 'start, stop, reboot and shut down VMs',
}

const VM_CONFIG = [
  'VM.Config.CDROM',
  'VM.Config.CPU',
  'VM.Config.Cloudinit',
  'VM.Config.Disk',
  'VM.Config.HWType',
  'VM.Config.Memory',
  'VM.Config.Network',
  'VM.Config.Options',
]
/** VMs and their disks: what every profile holds. */
const VM_WORK = [
  'Datastore.AllocateSpace',
  'Datastore.Audit',
  'SDN.Use',
  'Sys.Audit',
  'VM.Allocate',
  'VM.Audit',
  'VM.Clone',
  ...VM_CONFIG,
  'VM.Console',
  'VM.GuestAgent.Audit',
  'VM.Monitor',
  'VM.PowerMgmt',
]
const UPLOADS_AND_POOLS = ['Datastore.AllocateTemplate', 'Pool.Allocate', 'Pool.Audit', 'Sys.Modify']

/** The privileges of each named profile (sorted). None holds Datastore.Allocate, Permissions.* or User.*. */
export const PROFILE_PRIVILEGES: Readonly<Record<Exclude<PrivilegeProfileName, 'custom'>, readonly string[]>> = {
  /** VMs and disks only: no Sys.Modify, no uploads, no storage administration. */
  minimal: sorted(VM_WORK),
  /** Packer's builders: ISO download and upload, pools, sendkey, the guest agent. */
  packer: sorted([...VM_WORK, ...UPLOADS_AND_POOLS]),
  /** Telmate's start-up check, bpg's VM, container, file, download and cloud-init resources, and Packer. */
  terraform: sorted([...VM_WORK, ...UPLOADS_AND_POOLS, 'Sys.Console', 'VM.Migrate']),
}

/** A privilege name as Proxmox spells them (`Group.Name` or `Group.Sub.Name`). */
export const PRIVILEGE_NAME = /^[A-Z][A-Za-z]*(\.[A-Za-z][A-Za-z0-9]*)+$/

/** The privileges a profile asks for (custom: the PRIVILEGES list), sorted and without repeats. */
export function profilePrivileges(profile: PrivilegeProfileName, custom: readonly string[] = []): string[] {
  return profile === 'custom' ? sorted(custom) : [...PROFILE_PRIVILEGES[profile]]
}

/** Splits a PRIVILEGES value the way pveum does (`,` `;` or spaces). */
export function splitPrivileges(text: string): string[] {
  return text.split(/[,;\s]+/).filter(Boolean)
}

/** Grants that hyops releases before the managed role made; removed once the role is granted on `/`. */
export const LEGACY_GRANTS: ReadonlyArray<{path: string; role: string}> = [
  {path: '/', role: 'PVEVMAdmin'},
  {path: '/', role: 'PVEAuditor'},
  {path: '/storage', role: 'PVEDatastoreAdmin'},
  {path: '/sdn/zones', role: 'PVESDNUser'},
]

function sorted(list: readonly string[]): string[] {
  return [...new Set(list)].sort()
}
