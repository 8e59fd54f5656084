# shellcheck shell=bash
# The ACLs the automation user (and its token) needs.

# Grants what 'pveum acl list' does not show yet (with propagation), so a re-run changes nothing.
ensure_acls() {
  local token='' acls missing path roles
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
  [ "${found%%$'\t'*}" = 1 ]
}

