# shellcheck shell=bash
# Discovery of the node, storages, bridge, API address and cluster CA: reads only.

discover_node() {
  local name
  name=$(hostname) || die "'hostname' failed"
  NODE=${name%%.*}
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
      return 0 unless ref $s eq "HASH" && defined $s->{storage} && $s->{storage} !~ /[[:cntrl:]]/;
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
      my $f = $ENV{HYOPS_FRAME};
      if ($pick) { print "EXPORT:$f:$key=$pick->{storage}\nEXPORT:$f:${key}_SOURCE=detected\n" }
      else { print "EXPORT:$f:$key=$fallback\nEXPORT:$f:${key}_SOURCE=fallback\n" }
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

read_ca() {
  local file="${HYOPS_PVE_ETC:-/etc/pve}/pve-root-ca.pem"
  [ -r "$file" ] || die "cannot read the cluster CA $file (set TLS_CA_FILE, or TLS_SKIP=true)"
  perl -MMIME::Base64 -0777 -ne 'print "EXPORT:$ENV{HYOPS_FRAME}:CA_PEM_B64=", encode_base64($_, ""), "\n"' "$file" || die "cannot encode $file"
}

