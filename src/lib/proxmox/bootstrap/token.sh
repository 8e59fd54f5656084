# shellcheck shell=bash
# shellcheck disable=SC2034 # the globals set here (TOKEN_EXISTS, TOKEN_CHANGED) are read by acls.sh and main.sh
# The API user and its token: ensure the user, read the token, create or rotate it.

ensure_user() {
  local users found
  users=$(pveum user list --output-format json) || die "cannot list users ('pveum user list' failed)"
  found=$(printf '%s' "$users" | json_find userid "$USER_FQ") || die "cannot read the answer of 'pveum user list'"
  USER_EXISTS=${found%%$'\t'*}
  if [ "$USER_EXISTS" = 1 ]; then printf '%s' "$users" | check_user_state; fi
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
  TOKEN_EXISTS=${found%%$'\t'*}
  if [ "$TOKEN_EXISTS" = 1 ]; then
    privsep=${found#*$'\t'}
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
    print "EXPORT:$ENV{HYOPS_FRAME}:TOKEN_SECRET=$value\n";' || die "cannot create the token $USER_FQ!$TOKEN_NAME"
  await_kept
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

