# shellcheck shell=bash
# Discovery of the node, storages, bridge, API address and cluster CA: reads only.

discover_node() {
  local name
  name=$(hostname) || die "'hostname' failed"
  NODE=${name%%.*}
  [ -n "$NODE" ] || die "'hostname' printed no node name"
  emit NODE "$NODE"
}

# Storages come from storage.cfg (pve-storage PVE/Storage/Plugin.pm, a SectionConfig: "type: id"
# then tab-indented "key value" lines), read without starting Perl's PVE modules; 'pvesh get
# /storage' only when the file cannot be read. A storage qualifies for a content type when its
# content list has the type, it is not disabled and, when limited to some nodes, this node is
# one of them. The pick does not depend on the listing's order (pvesh lists in Perl hash order):
# the fallback when it qualifies, then the installer's names, then the smallest id.
discover_storages() {
  local cfg="${HYOPS_PVE_ETC:-/etc/pve}/storage.cfg" storages format=cfg
  if [ -r "$cfg" ]; then
    storages=$(cat "$cfg") || die "cannot read $cfg"
  else
    format=json
    storages=$(pvesh get /storage --output-format json) || die "cannot list storages ('pvesh get /storage' failed)"
  fi
  printf '%s' "$storages" | perl -MJSON::PP -e '
    local $/; my $text = <STDIN>; my ($format, $node, $fallback_snippets, $iso_key) = splice @ARGV, 0, 4;
    my @list;
    if ($format eq "json") {
      my $json = decode_json($text);
      die "expected a JSON array from pvesh get /storage\n" unless ref $json eq "ARRAY";
      @list = grep { ref $_ eq "HASH" && defined $_->{storage} } @$json;
    } else {
      my $s;
      for (split /\n/, $text) {
        next if /^\s*(#|$)/;
        if (/^(\S+):\s*(\S+)\s*$/) { $s = { type => $1, storage => $2 }; push @list, $s; next }
        next unless $s && /^\s+(\S+)(?:\s+(.*\S))?\s*$/;
        $s->{$1} = defined $2 ? $2 : 1;
      }
      # Without a content line a storage has its plugin default (pve-storage PVE/Storage/*Plugin.pm).
      my %default = (nfs => "images", cifs => "images", glusterfs => "images", cephfs => "backup");
      for (@list) { $_->{content} //= $default{$_->{type}} // "images,rootdir" }
    }
    @list = grep { $_->{storage} !~ /[[:cntrl:]]/ } @list;
    my %installer = (images => ["local-lvm", "local-zfs", "local-btrfs", "local"],
      iso => ["local", "local-btrfs"], snippets => ["local", "local-btrfs"]);
    my %file_based = map { $_ => 1 } qw(dir nfs cifs cephfs glusterfs btrfs);
    sub contents { my $c = shift; return ref $c eq "ARRAY" ? @$c : grep { length } split /[,;\s]+/, ($c // "") }
    sub on_node {
      my $s = shift;
      return 0 if $s->{disable};
      return 1 unless defined $s->{nodes} && length $s->{nodes};
      return scalar grep { $_ eq $node } split /[,;\s]+/, $s->{nodes};
    }
    sub has { my ($s, $type) = @_; return scalar grep { $_ eq $type } contents($s->{content}) }
    sub prefer {
      my ($ok, @names) = @_;
      for my $name (grep { defined && length } @names) {
        my ($p) = grep { $_->{storage} eq $name } @$ok;
        return $p if $p;
      }
      return (sort { $a->{storage} cmp $b->{storage} } @$ok)[0];
    }
    my %picked;
    while (my ($key, $type, $fallback) = splice @ARGV, 0, 3) {
      my @ok = grep { on_node($_) && has($_, $type) } @list;
      my $pick = prefer(\@ok, $fallback, @{ $installer{$type} });
      $picked{$key} = $pick;
      if ($pick) { print "EXPORT:$ENV{HYOPS_FRAME}:$key=$pick->{storage}\nEXPORT:$ENV{HYOPS_FRAME}:${key}_SOURCE=detected\n" }
      else { print "EXPORT:$ENV{HYOPS_FRAME}:$key=$fallback\nEXPORT:$ENV{HYOPS_FRAME}:${key}_SOURCE=fallback\n" }
    }
    # The file-based storages snippets could be added to, and the one to offer when none has them.
    my @files = sort { $a->{storage} cmp $b->{storage} } grep { on_node($_) && $file_based{$_->{type}} } @list;
    my @described = map { "$_->{storage}=" . join(",", contents($_->{content})) } @files;
    print "EXPORT:$ENV{HYOPS_FRAME}:FILE_STORAGES=", join(" ", @described), "\n";
    # --enable-snippets=ID must name one of them: checked here, before anything changes.
    my $want = $ENV{SNIPPETS_STORAGE} // "";
    if (length $want && !grep { $_->{storage} eq $want } @files) {
      print STDERR join(", ", map { $_->{storage} } @files) || "none", "\n";
      exit 3;
    }
    unless ($picked{STORAGE_SNIPPETS}) {
      my $iso = $picked{$iso_key};
      my $candidate = prefer(\@files, $fallback_snippets, $iso ? $iso->{storage} : undef, @{ $installer{snippets} });
      print "EXPORT:$ENV{HYOPS_FRAME}:SNIPPETS_CANDIDATE=$candidate->{storage}\n" if $candidate;
    }' "$format" "$NODE" "$FALLBACK_STORAGE_SNIPPETS" STORAGE_ISO \
    STORAGE_VM images "$FALLBACK_STORAGE_VM" \
    STORAGE_ISO iso "$FALLBACK_STORAGE_ISO" \
    STORAGE_SNIPPETS snippets "$FALLBACK_STORAGE_SNIPPETS" || {
    local rc=$?
    [ "$rc" = 3 ] && die "--enable-snippets=${SNIPPETS_STORAGE:-}: no enabled file-based storage of that name on" \
      "node $NODE, nothing was changed; name one of its file-based storages"
    die "cannot read the storage list ($cfg)"
  }
}

discover_bridge() {
  local links picked
  links=$(ip -j link show) || die "cannot list network interfaces ('ip -j link show' failed)"
  # An active bridge is an interface whose state is UP, or UNKNOWN as Open vSwitch bridges
  # report, and that is nobody's port (a NIC names its bridge as "master"). The configured
  # fallback wins when it is such a bridge, then the vmbr* with the smallest number.
  # Prints the pick (empty for none), a tab and the fallback's state (or "missing").
  picked=$(printf '%s' "$links" | perl -MJSON::PP -e '
    local $/; my $list = decode_json(<STDIN>); my $fallback = shift;
    die "expected a JSON array from ip -j link show\n" unless ref $list eq "ARRAY";
    my @links = grep { ref $_ eq "HASH" && defined $_->{ifname} } @$list;
    my @up = grep {
      my $state = $_->{operstate} // "";
      ($state eq "UP" || $state eq "UNKNOWN") && !defined $_->{master}
        && $_->{ifname} ne "lo" && ($_->{link_type} // "") ne "loopback"
    } @links;
    my ($pick) = grep { $_->{ifname} eq $fallback } @up;
    my $num = sub { my $n = shift; $n =~ /(\d+)$/ ? $1 : 1e9 };
    ($pick) = sort { $num->($a->{ifname}) <=> $num->($b->{ifname}) || $a->{ifname} cmp $b->{ifname} }
      grep { $_->{ifname} =~ /^vmbr/ } @up unless $pick;
    my ($own) = grep { $_->{ifname} eq $fallback } @links;
    my $state = $own ? ($own->{operstate} // "UNKNOWN") : "missing";
    print $pick ? $pick->{ifname} : "", "\t", $state;' "$FALLBACK_BRIDGE") \
    || die "cannot read the answer of 'ip -j link show'"
  if [ -n "${picked%%$'\t'*}" ]; then
    BRIDGE=${picked%%$'\t'*}
    emit BRIDGE "$BRIDGE"
    emit BRIDGE_SOURCE detected
  else
    BRIDGE=$FALLBACK_BRIDGE
    emit BRIDGE "$BRIDGE"
    emit BRIDGE_SOURCE fallback
    emit BRIDGE_FALLBACK_STATE "${picked#*$'\t'}"
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
      127.*) loopback=${loopback:-$address} ;;
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
  found=${found:-$loopback}
  [ -z "$found" ] || emit IP "$found"
}

# Whether pveproxy serves a certificate of its own (uploaded or ACME, not signed by the cluster
# CA: pve-manager PVE/CertHelpers.pm), and the cluster's members and their addresses (written
# by pmxcfs, pve-cluster src/pmxcfs/status.c), read without starting any Perl tool.
discover_host() {
  local etc="${HYOPS_PVE_ETC:-/etc/pve}" members
  if [ -e "$etc/local/pveproxy-ssl.pem" ]; then emit OWN_CERT 1; else emit OWN_CERT 0; fi
  if [ -r "$etc/.members" ]; then
    members=$(base64 -w0 <"$etc/.members") || members=''
    [ -z "$members" ] || emit MEMBERS_B64 "$members"
  fi
}

read_ca() {
  local file="${HYOPS_PVE_ETC:-/etc/pve}/pve-root-ca.pem"
  [ -r "$file" ] || die "cannot read the cluster CA $file (set TLS_CA_FILE, or TLS_SKIP=true)"
  perl -MMIME::Base64 -0777 -ne 'print "EXPORT:$ENV{HYOPS_FRAME}:CA_PEM_B64=", encode_base64($_, ""), "\n"' "$file" || die "cannot encode $file"
}

