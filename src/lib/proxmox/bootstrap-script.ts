import {envPrefix} from '../ssh/shell-quote.js'
import type {ProxmoxInputs, TokenMode} from './types.js'

/**
 * The remote bootstrap, run on the Proxmox VE host (7, 8 or 9) as root with `bash -s`: this
 * text arrives on stdin, so no file is left on the host. It needs only bash, coreutils, perl
 * with JSON::PP and the host's own `pveum`, `pvesh`, `ip` and `hostname` (no jq, no python).
 *
 * Inputs (environment, set with {@link bootstrapCommand}): USER_FQ, TOKEN_NAME,
 * TOKEN_MODE (keep|create|rotate), FALLBACK_STORAGE_VM, FALLBACK_STORAGE_ISO,
 * FALLBACK_STORAGE_SNIPPETS, FALLBACK_BRIDGE, WANT_CA (1: print the cluster CA) and
 * READ_ONLY (1: change nothing, only discover and report).
 *
 * Output: `EXPORT:NAME=VALUE` lines on stdout (NODE, IP, STORAGE_VM, STORAGE_ISO,
 * STORAGE_SNIPPETS, BRIDGE and their *_SOURCE, TOKEN_EXISTS, TOKEN_PRIVSEP when the token
 * exists, CA_PEM_B64 when asked, TOKEN_REMOVED=1 once a rotation removed the old token,
 * TOKEN_SECRET only when it made a token). Errors: a
 * `hyops-bootstrap:` line on stderr and a non-zero exit. Everything that only reads runs
 * before anything that changes the host, so a failed discovery changes nothing.
 *
 * ACLs (granted to the user and, when it exists, to the token; privilege separation is off,
 * so the user's grants are what count, the token's keep working if someone turns it on):
 * - `/` PVEVMAdmin: create, configure, clone, snapshot, start/stop and open consoles of VMs
 *   (Terraform resources, Packer builds).
 * - `/` PVEAuditor: read nodes, storages, networks and tasks, which the providers query.
 * - `/storage` PVEDatastoreAdmin: allocate disks, upload ISOs and templates, read content.
 * - `/sdn/zones` PVESDNUser (Proxmox VE 8 and later, where the role exists): SDN.Use, needed
 *   to attach a NIC to a bridge since 8.0.
 * No Sys.Modify, no user or permission management, no Administrator.
 */
export const BOOTSTRAP_SCRIPT = String.raw`set -euo pipefail
export LC_ALL=C

die() { printf 'hyops-bootstrap: %s\n' "$*" >&2; exit 1; }
emit() { printf 'EXPORT:%s=%s\n' "$1" "$2"; }

# Prints "1<TAB>field" for the first object in a JSON array (stdin) whose KEY equals VALUE, else "0".
json_find() {
  perl -MJSON::PP -e '
    local $/; my $list = decode_json(<STDIN>); my ($key, $value, $field) = @ARGV;
    die "expected a JSON array\n" unless ref $list eq "ARRAY";
    for my $o (@$list) {
      next unless ref $o eq "HASH" && defined $o->{$key} && "$o->{$key}" eq $value;
      my $f = defined $field && defined $o->{$field} ? "$o->{$field}" : "";
      print "1\t$f\n"; exit 0;
    }
    print "0\n";' "$@"
}

check_inputs() {
  : "\${USER_FQ:?}" "\${TOKEN_NAME:?}" "\${TOKEN_MODE:?}"
  FALLBACK_STORAGE_VM=\${FALLBACK_STORAGE_VM:-}
  FALLBACK_STORAGE_ISO=\${FALLBACK_STORAGE_ISO:-}
  FALLBACK_STORAGE_SNIPPETS=\${FALLBACK_STORAGE_SNIPPETS:-$FALLBACK_STORAGE_ISO}
  FALLBACK_BRIDGE=\${FALLBACK_BRIDGE:-}
  WANT_CA=\${WANT_CA:-0}
  READ_ONLY=\${READ_ONLY:-0}
  case $TOKEN_MODE in keep | create | rotate) ;; *) die "TOKEN_MODE must be keep, create or rotate, not '$TOKEN_MODE'" ;; esac
  local tool
  for tool in pveum pvesh perl hostname ip; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on this host: is it a Proxmox VE node?"
  done
  perl -MJSON::PP -e 1 2>/dev/null || die "perl's JSON::PP module is missing on this host"
}

discover_node() {
  local name
  name=$(hostname) || die "'hostname' failed"
  NODE=\${name%%.*}
  [ -n "$NODE" ] || die "'hostname' printed no node name"
  emit NODE "$NODE"
}

discover_storages() {
  local storages
  storages=$(pvesh get /storage --output-format json) || die "cannot list storages ('pvesh get /storage' failed)"
  # A storage qualifies when its content list has the type, it is not disabled and, when it
  # is limited to some nodes, this node is one of them. The fallback wins when it qualifies.
  printf '%s' "$storages" | perl -MJSON::PP -e '
    local $/; my $list = decode_json(<STDIN>);
    die "expected a JSON array from pvesh get /storage\n" unless ref $list eq "ARRAY";
    my $node = shift @ARGV;
    sub contents { my $c = shift; return ref $c eq "ARRAY" ? @$c : split /[,\s]+/, ($c // "") }
    sub usable {
      my ($s, $type) = @_;
      return 0 unless ref $s eq "HASH" && defined $s->{storage};
      return 0 if $s->{disable};
      if (defined $s->{nodes} && length $s->{nodes}) {
        return 0 unless grep { $_ eq $node } split /[,\s;]+/, $s->{nodes};
      }
      return scalar grep { $_ eq $type } contents($s->{content});
    }
    while (my ($key, $type, $fallback) = splice @ARGV, 0, 3) {
      my @ok = grep { usable($_, $type) } @$list;
      my ($pick) = grep { $_->{storage} eq $fallback } @ok;
      $pick //= $ok[0];
      if ($pick) { print "EXPORT:$key=$pick->{storage}\nEXPORT:\${key}_SOURCE=detected\n" }
      else { print "EXPORT:$key=$fallback\nEXPORT:\${key}_SOURCE=fallback\n" }
    }' "$NODE" \
    STORAGE_VM images "$FALLBACK_STORAGE_VM" \
    STORAGE_ISO iso "$FALLBACK_STORAGE_ISO" \
    STORAGE_SNIPPETS snippets "$FALLBACK_STORAGE_SNIPPETS" || die "cannot read the answer of 'pvesh get /storage'"
}

discover_bridge() {
  local links picked
  links=$(ip -j link show) || die "cannot list network interfaces ('ip -j link show' failed)"
  # An active bridge is an interface whose state is UP and that is nobody's port (a NIC
  # names its bridge as "master"). The configured fallback counts when it is such a bridge.
  picked=$(printf '%s' "$links" | perl -MJSON::PP -e '
    local $/; my $list = decode_json(<STDIN>); my $fallback = shift;
    die "expected a JSON array from ip -j link show\n" unless ref $list eq "ARRAY";
    my @up = grep { ref $_ eq "HASH" && defined $_->{ifname} && ($_->{operstate} // "") eq "UP" && !defined $_->{master} } @$list;
    my ($pick) = grep { $_->{ifname} eq $fallback } @up;
    ($pick) = grep { $_->{ifname} =~ /^vmbr/ } @up unless $pick;
    print $pick ? $pick->{ifname} : "";' "$FALLBACK_BRIDGE") || die "cannot read the answer of 'ip -j link show'"
  if [ -n "$picked" ]; then
    BRIDGE=$picked
    emit BRIDGE "$BRIDGE"
    emit BRIDGE_SOURCE detected
  else
    BRIDGE=$FALLBACK_BRIDGE
    emit BRIDGE "$BRIDGE"
    emit BRIDGE_SOURCE fallback
  fi
}

# The API address: the first IPv4 of 'hostname -i' that is not loopback (Proxmox needs the
# node name to resolve to its real address), else the first global IPv4 of the bridge,
# else a loopback address as a last resort.
discover_ip() {
  local addresses address found='' loopback=''
  addresses=$(hostname -i 2>/dev/null) || addresses=''
  for address in $addresses; do
    case $address in
      *:*) ;;
      127.*) loopback=\${loopback:-$address} ;;
      [0-9]*.*.*.*) found=$address; break ;;
    esac
  done
  if [ -z "$found" ] && [ -n "$BRIDGE" ]; then
    found=$(ip -j -4 addr show dev "$BRIDGE" 2>/dev/null | perl -MJSON::PP -e '
      local $/; my $list = eval { decode_json(<STDIN>) } || [];
      for my $link (ref $list eq "ARRAY" ? @$list : ()) {
        for my $a (@{ $link->{addr_info} || [] }) {
          if (($a->{family} // "") eq "inet" && ($a->{scope} // "") eq "global") { print $a->{local}; exit 0 }
        }
      }' 2>/dev/null) || found=''
  fi
  found=\${found:-$loopback}
  [ -z "$found" ] || emit IP "$found"
}

read_ca() {
  local file="\${HYOPS_PVE_ETC:-/etc/pve}/pve-root-ca.pem"
  [ -r "$file" ] || die "cannot read the cluster CA $file (set TLS_CA_FILE, or TLS_SKIP=true)"
  perl -MMIME::Base64 -0777 -ne 'print "EXPORT:CA_PEM_B64=", encode_base64($_, ""), "\n"' "$file" || die "cannot encode $file"
}

ensure_user() {
  local users found
  users=$(pveum user list --output-format json) || die "cannot list users ('pveum user list' failed)"
  found=$(printf '%s' "$users" | json_find userid "$USER_FQ") || die "cannot read the answer of 'pveum user list'"
  USER_EXISTS=\${found%%$'\t'*}
  if [ "$USER_EXISTS" = 1 ] || [ "$READ_ONLY" = 1 ]; then return 0; fi
  pveum user add "$USER_FQ" --comment 'hyops automation (Terraform/Packer)' || die "cannot create the user $USER_FQ"
  USER_EXISTS=1
}

check_token() {
  local tokens found privsep
  TOKEN_EXISTS=0
  [ "$USER_EXISTS" = 1 ] || return 0
  tokens=$(pveum user token list "$USER_FQ" --output-format json) || die "cannot list the tokens of $USER_FQ"
  found=$(printf '%s' "$tokens" | json_find tokenid "$TOKEN_NAME" privsep) || die "cannot read the answer of 'pveum user token list'"
  TOKEN_EXISTS=\${found%%$'\t'*}
  if [ "$TOKEN_EXISTS" = 1 ]; then
    privsep=\${found#*$'\t'}
    case $privsep in 1 | true) privsep=1 ;; *) privsep=0 ;; esac
    emit TOKEN_PRIVSEP "$privsep"
  fi
}

# The secret goes from pveum's stdout straight into perl's stdin: never an argument, never a file.
create_token() {
  pveum user token add "$USER_FQ" "$TOKEN_NAME" --privsep 0 --expire 0 --output-format json | perl -MJSON::PP -e '
    local $/; my $text = <STDIN>; exit 3 unless defined $text && length $text;
    my $answer = decode_json($text);
    my $value = ref $answer eq "HASH" ? $answer->{value} : undef;
    die "the answer has no token value\n" unless defined $value && $value =~ /\A[^\s]+\z/;
    print "EXPORT:TOKEN_SECRET=$value\n";' || die "cannot create the token $USER_FQ!$TOKEN_NAME"
}

apply_token_mode() {
  TOKEN_CHANGED=0
  [ "$READ_ONLY" = 1 ] && return 0
  case $TOKEN_MODE in
    keep) ;;
    create)
      if [ "$TOKEN_EXISTS" = 0 ]; then create_token; TOKEN_CHANGED=1; fi ;;
    rotate)
      if [ "$TOKEN_EXISTS" = 1 ]; then
        pveum user token remove "$USER_FQ" "$TOKEN_NAME" || die "cannot remove the token $USER_FQ!$TOKEN_NAME"
        # Said at once: if making the new one fails, the caller must know the old secret is dead.
        emit TOKEN_REMOVED 1
      fi
      create_token
      TOKEN_CHANGED=1 ;;
  esac
}

# Grants what 'pveum acl list' does not show yet (with propagation), so a re-run changes nothing.
ensure_acls() {
  local token='' acls missing line path roles
  [ "$READ_ONLY" = 1 ] && return 0
  if [ "$TOKEN_CHANGED" = 1 ] || [ "$TOKEN_EXISTS" = 1 ]; then token="$USER_FQ!$TOKEN_NAME"; fi
  acls=$(pveum acl list --output-format json) || die "cannot list ACLs ('pveum acl list' failed)"
  missing=$(printf '%s' "$acls" | perl -MJSON::PP -e '
    local $/; my $list = decode_json(<STDIN>);
    die "expected a JSON array from pveum acl list\n" unless ref $list eq "ARRAY";
    my ($user, $token, @wanted) = @ARGV;
    my %have;
    for my $a (@$list) {
      next unless ref $a eq "HASH" && defined $a->{ugid} && defined $a->{path} && defined $a->{roleid};
      next if defined $a->{propagate} && !$a->{propagate};
      $have{"$a->{path} $a->{ugid} $a->{roleid}"} = 1;
    }
    my (%roles, @order);
    for my $want (@wanted) {
      my ($path, $role) = split / /, $want;
      for my $who (grep { length } $user, $token) {
        next if $have{"$path $who $role"};
        push @order, $path unless $roles{$path};
        $roles{$path}{$role} = 1;
      }
    }
    print "$_ ", join(",", sort keys %{ $roles{$_} }), "\n" for @order;' \
    "$USER_FQ" "$token" '/ PVEVMAdmin' '/ PVEAuditor' '/storage PVEDatastoreAdmin' '/sdn/zones PVESDNUser') || die "cannot read the answer of 'pveum acl list'"
  [ -n "$missing" ] || return 0
  while read -r path roles; do
    [ -n "$path" ] || continue
    if [ "$path" = /sdn/zones ]; then
      has_role PVESDNUser || continue
    fi
    if [ -n "$token" ]; then
      pveum acl modify "$path" --users "$USER_FQ" --tokens "$token" --roles "$roles" </dev/null || die "cannot grant $roles on $path to $USER_FQ and $token"
    else
      pveum acl modify "$path" --users "$USER_FQ" --roles "$roles" </dev/null || die "cannot grant $roles on $path to $USER_FQ"
    fi
  done < <(printf '%s\n' "$missing")
}

# PVESDNUser exists from Proxmox VE 8 on; older hosts have no SDN permission to grant.
has_role() {
  local roles found
  roles=$(pveum role list --output-format json </dev/null 2>/dev/null) || return 1
  found=$(printf '%s' "$roles" | json_find roleid "$1" 2>/dev/null) || return 1
  [ "\${found%%$'\t'*}" = 1 ]
}

main() {
  exec </dev/null
  check_inputs
  discover_node
  discover_storages
  discover_bridge
  discover_ip
  if [ "$WANT_CA" = 1 ]; then read_ca; fi
  ensure_user
  check_token
  emit TOKEN_EXISTS "$TOKEN_EXISTS"
  # An existing token in create mode is reported and left alone: the caller decides.
  if [ "$TOKEN_MODE" = create ] && [ "$TOKEN_EXISTS" = 1 ]; then return 0; fi
  apply_token_mode
  ensure_acls
}

main
`.replaceAll('\\${', '${')

/** What the bootstrap script is asked to do. */
export interface BootstrapScriptRequest {
  inputs: Pick<
    ProxmoxInputs,
    'userFq' | 'tokenName' | 'fallbackStorageVm' | 'fallbackStorageIso' | 'fallbackStorageSnippets' | 'fallbackBridge'
  >
  tokenMode: TokenMode
  /** Print the cluster CA (verified TLS without TLS_CA_FILE). */
  wantCa: boolean
  /** Change nothing on the host: only discover and report (for --dry-run). */
  readOnly?: boolean
}

/** The script's environment: every input, none of them secret. */
export function bootstrapEnv(request: BootstrapScriptRequest): Record<string, string> {
  const {inputs} = request
  return {
    USER_FQ: inputs.userFq,
    TOKEN_NAME: inputs.tokenName,
    TOKEN_MODE: request.tokenMode,
    FALLBACK_STORAGE_VM: inputs.fallbackStorageVm,
    FALLBACK_STORAGE_ISO: inputs.fallbackStorageIso,
    FALLBACK_STORAGE_SNIPPETS: inputs.fallbackStorageSnippets,
    FALLBACK_BRIDGE: inputs.fallbackBridge,
    WANT_CA: request.wantCa ? '1' : '0',
    READ_ONLY: request.readOnly ? '1' : '0',
  }
}

/** The command line run on the host: `env USER_FQ='..' ... bash -s` (the script goes on stdin). */
export function bootstrapCommand(request: BootstrapScriptRequest): string {
  return `${envPrefix(bootstrapEnv(request))} bash -s`
}
