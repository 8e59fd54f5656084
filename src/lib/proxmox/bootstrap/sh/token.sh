# shellcheck shell=bash
# shellcheck disable=SC2034 # the globals set here (TOKEN_CHANGED, USER_EXISTS) are read by role.sh and main.sh
# The API user and its token: ensure the user, create or rotate the token. What exists comes from user.cfg
# (usercfg.sh); only changes start pveum.

ensure_user() {
  if [ "$USER_EXISTS" = 1 ] || [ "$READ_ONLY" = 1 ]; then return 0; fi
  pveum user add "$USER_FQ" --comment 'hyops automation (Terraform/Packer)' || die "cannot create the user $USER_FQ"
  USER_EXISTS=1
}

# The secret goes from pveum's stdout straight into perl's stdin: never an argument, never a file.
create_token() {
  local -a options=(--privsep "$WANT_PRIVSEP" --expire "$TOKEN_EXPIRE")
  [ -z "$TOKEN_COMMENT" ] || options+=(--comment "$TOKEN_COMMENT")
  pveum user token add "$USER_FQ" "$TOKEN_NAME" "${options[@]}" --output-format json | perl -MJSON::PP -e '
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
    keep)
      # TOKEN_PRIVSEP changed in the config: the token keeps its secret, its separation follows.
      if [ "$TOKEN_EXISTS" = 1 ] && [ "$TOKEN_PRIVSEP_NOW" != "$WANT_PRIVSEP" ]; then
        pveum user token modify "$USER_FQ" "$TOKEN_NAME" --privsep "$WANT_PRIVSEP" ||
          die "cannot change the privilege separation of $USER_FQ!$TOKEN_NAME"
        emit TOKEN_PRIVSEP_CHANGED "$WANT_PRIVSEP"
      fi ;;
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
