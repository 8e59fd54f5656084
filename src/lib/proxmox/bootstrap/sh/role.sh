# shellcheck shell=bash
# shellcheck disable=SC2034 # ROLE_* and GRANT_* are reported by main.sh
# The one role hyops manages (ROLE_NAME, with the profile's privileges ROLE_PRIVS) and its one grant on /
# (propagated) to the user, and to the token when it has privilege separation. Grants earlier hyops releases
# made are removed once the role holds on /: on Proxmox a grant on a more specific path replaces the
# inherited role for that user, so an old PVEDatastoreAdmin on /storage would hide the role there.

# The privileges to write: the profile's that this host's version knows (its built-in Administrator role
# holds every valid one). 'pveum role list' is asked only when the role in user.cfg is not exactly the
# profile's, so a re-run whose role is in place makes no call for it.
plan_role() {
  local roles plan
  ROLE_WANT=$ROLE_PRIVS ROLE_SKIPPED='' ROLE_ACTION=kept
  if [ "$ROLE_EXISTS" = 1 ] && [ "$ROLE_HAS" = "$ROLE_PRIVS" ]; then return 0; fi
  roles=$(pveum role list --output-format json) || die "cannot list roles ('pveum role list' failed)"
  plan=$(printf '%s' "$roles" | perl -MJSON::PP -e '
    local $/; my $list = decode_json(<STDIN>); my ($wanted, $has) = @ARGV;
    die "expected a JSON array from pveum role list\n" unless ref $list eq "ARRAY";
    my ($admin) = grep { ref $_ eq "HASH" && ($_->{roleid} // "") eq "Administrator" } @$list;
    die "pveum role list shows no Administrator role\n" unless $admin;
    my %valid = map { $_ => 1 } grep { length } split /[,;\s]+/, ($admin->{privs} // "");
    my @want = grep { $valid{$_} } split /,/, $wanted;
    my @skipped = grep { !$valid{$_} } split /,/, $wanted;
    my $now = join ",", grep { $valid{$_} } split /,/, $has;
    printf "%s|%s|%s\n", join(",", @want), join(",", @skipped), $now eq join(",", @want) ? 1 : 0;' \
    "$ROLE_PRIVS" "$ROLE_HAS") || die "cannot read the answer of 'pveum role list'"
  IFS="|" read -r ROLE_WANT ROLE_SKIPPED plan <<<"$plan"
  if [ -n "$ROLE_SKIPPED" ] && [ "${ROLE_STRICT:-0}" = 1 ]; then
    die "PRIVILEGES names privileges this Proxmox VE does not know: ${ROLE_SKIPPED//,/, } (see 'pveum role list'" \
      "for the Administrator role's privileges)"
  fi
  [ -n "$ROLE_WANT" ] || die "none of the profile's privileges is known to this Proxmox VE"
  if [ "$ROLE_EXISTS" = 0 ]; then
    ROLE_ACTION=created
  elif [ "$plan" != 1 ]; then
    ROLE_ACTION=updated
  fi
}

ensure_role() {
  [ "$READ_ONLY" = 1 ] && return 0
  case $ROLE_ACTION in
    # Another run may have made it since user.cfg was read: then it is brought up to date instead.
    created) pveum role add "$ROLE_NAME" --privs "$ROLE_WANT" 2>/dev/null ||
      pveum role modify "$ROLE_NAME" --privs "$ROLE_WANT" || die "cannot create the role $ROLE_NAME" ;;
    updated) pveum role modify "$ROLE_NAME" --privs "$ROLE_WANT" || die "cannot update the role $ROLE_NAME" ;;
  esac
}

# One 'pveum acl modify /' for whoever lacks the role there (the token's grants go with it on a rotation),
# then one 'pveum acl delete' per path that still holds an old grant.
ensure_grants() {
  local token="$USER_FQ!$TOKEN_NAME" entry path roles who
  local -a targets=() old=()
  GRANT_ACTION=kept LEGACY_REMOVED=''
  [ "$READ_ONLY" = 1 ] && return 0
  [ "$GRANTED_USER" = 1 ] || targets+=(--users "$USER_FQ")
  if [ "$WANT_PRIVSEP" = 1 ] && { [ "$GRANTED_TOKEN" = 0 ] || [ "$TOKEN_CHANGED" = 1 ]; }; then
    targets+=(--tokens "$token")
  fi
  if [ "${#targets[@]}" -gt 0 ]; then
    pveum acl modify / "${targets[@]}" --roles "$ROLE_NAME" || die "cannot grant the role $ROLE_NAME on / (${targets[*]})"
    GRANT_ACTION=granted
  fi
  for entry in $LEGACY_GRANTS; do
    path=${entry%%|*} roles=${entry#*|} who=${entry##*|}
    roles=${roles%%|*}
    old=()
    case ,$who, in *,user,*) old+=(--users "$USER_FQ") ;; esac
    # A token made anew in this run has no grants left to remove.
    case ,$who, in *,token,*) [ "$TOKEN_CHANGED" = 1 ] || old+=(--tokens "$token") ;; esac
    [ "${#old[@]}" -gt 0 ] || continue
    check_go "removing the old grants on $path"
    pveum acl delete "$path" "${old[@]}" --roles "$roles" || die "cannot remove the old grants $roles on $path"
    LEGACY_REMOVED="${LEGACY_REMOVED:+$LEGACY_REMOVED }$path=$roles"
  done
}

report_role() {
  emit ROLE_ACTION "$ROLE_ACTION"
  emit ROLE_PRIVS_SET "$ROLE_WANT"
  emit ROLE_SKIPPED "$ROLE_SKIPPED"
  emit GRANT_ACTION "${GRANT_ACTION:-kept}"
  emit LEGACY_REMOVED "${LEGACY_REMOVED:-}"
}
