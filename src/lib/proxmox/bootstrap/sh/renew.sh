# shellcheck shell=bash
# shellcheck disable=SC2034 # TOKEN_CHANGED is read by role.sh
# A new secret for an existing token: in place with 'pveum user token modify --regenerate 1' where the host has
# it (libpve-access-control 9.1.0 on: the token id and every grant naming it stay, the new expiry is set in the
# same call; pve-access-control src/PVE/API2/User.pm update_token_info), else remove and add again.

# Whether this host's pveum takes --regenerate: the installed libpve-access-control version, from dpkg's database
# (dpkg-query is a small C program: no Perl start-up, unlike 'pveversion -v'). Unknown: no.
regenerate_supported() {
  local version rest major minor
  version=$(dpkg-query -W -f '${Version}' libpve-access-control 2>/dev/null) || return 1
  major=${version%%.*} rest=${version#*.}
  minor=${rest%%[.-]*}
  case $major$minor in '' | *[!0-9]*) return 1 ;; esac
  [ "$major" -gt 9 ] || { [ "$major" -eq 9 ] && [ "$minor" -ge 1 ]; }
}

# A token hyops made whose expiry (user.cfg) is at or before RENEW_BEFORE: expiring soon, or expired already.
renewal_due() {
  [ "$TOKEN_EXISTS" = 1 ] && [ "${RENEW_BEFORE:-0}" -gt 0 ] && [ "$TOKEN_EXPIRE_NOW" -gt 0 ] &&
    [ "$TOKEN_EXPIRE_NOW" -le "$RENEW_BEFORE" ]
}

# Says the renewal is coming (the client writes its marker as not ready first), then renews.
renew_token() {
  emit RENEW_PLANNED "$TOKEN_EXPIRE_NOW"
  await_go 'renew the token'
  emit TOKEN_RENEWED 1
  if regenerate_supported; then
    regenerate_token
    return 0
  fi
  pveum user token remove "$USER_FQ" "$TOKEN_NAME" || die "cannot remove the token $USER_FQ!$TOKEN_NAME"
  emit TOKEN_REMOVED 1
  create_token
  TOKEN_CHANGED=1
}

# One call: the new secret (from pveum's stdout straight into perl: never an argument, never a file) and the new
# expiry. The old secret is dead once pveum succeeded, so if its answer cannot be read the client is told so.
regenerate_token() {
  local status
  local -a options=(--regenerate 1 --expire "$TOKEN_EXPIRE")
  [ "$TOKEN_PRIVSEP_NOW" = "$WANT_PRIVSEP" ] || options+=(--privsep "$WANT_PRIVSEP")
  # As in create_token: a client asked to stop now waits for the secret instead of hanging up.
  emit TOKEN_MAKING 1
  set +e
  pveum user token modify "$USER_FQ" "$TOKEN_NAME" "${options[@]}" --output-format json | perl -MJSON::PP -e '
    local $/; my $text = <STDIN>; exit 3 unless defined $text && length $text;
    my $answer = decode_json($text);
    my $value = ref $answer eq "HASH" ? $answer->{value} : undef;
    die "the answer has no token value\n" unless defined $value && $value =~ /\A[^\s]+\z/;
    print "EXPORT:$ENV{HYOPS_FRAME}:TOKEN_SECRET=$value\n";'
  local -a statuses=("${PIPESTATUS[@]}")
  set -e
  status=${statuses[0]}
  if [ "$status" != 0 ]; then die "cannot regenerate the token $USER_FQ!$TOKEN_NAME"; fi
  if [ "${statuses[1]}" != 0 ]; then
    emit TOKEN_REMOVED 1
    die "the host regenerated $USER_FQ!$TOKEN_NAME but its answer held no secret"
  fi
  emit TOKEN_REGENERATED 1
  TOKEN_CHANGED=0
  await_kept
}
