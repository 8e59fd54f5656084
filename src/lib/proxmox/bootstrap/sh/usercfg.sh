# shellcheck shell=bash
# shellcheck disable=SC2034 # the facts set here are read by token.sh, role.sh, hoststate.sh and main.sh
# What /etc/pve/user.cfg says about the API user, its token, the managed role and their grants: read as
# root without starting Perl's PVE modules (one pveum call costs about half a second). The format is the one
# pve-access-control src/PVE/AccessControl.pm write_user_config writes: "user:ID:enable:expire:...",
# "token:USER!NAME:expire:privsep:comment:", "role:NAME:PRIV,PRIV:", "acl:PROPAGATE:PATH:WHO,WHO:ROLE,ROLE:".
# A missing file is what Proxmox itself reads as empty (root@pam and the built-in roles only).

read_usercfg() {
  local cfg="${HYOPS_PVE_ETC:-/etc/pve}/user.cfg" text='' facts key value
  if [ -e "$cfg" ]; then text=$(cat "$cfg") || die "cannot read $cfg"; fi
  facts=$(printf '%s\n' "$text" | perl -e '
    my ($user, $token, $role) = @ARGV;
    my %legacy = ("/" => {PVEVMAdmin => 1, PVEAuditor => 1}, "/storage" => {PVEDatastoreAdmin => 1},
      "/sdn/zones" => {PVESDNUser => 1});
    my %f = (USER_EXISTS => 0, USER_ENABLE => 1, USER_EXPIRE => 0, TOKEN_EXISTS => 0, TOKEN_PRIVSEP_NOW => 0,
      ROLE_EXISTS => 0, ROLE_HAS => "", GRANTED_USER => 0, GRANTED_TOKEN => 0);
    my (%old, @paths);
    sub list { return grep { length } split /[,;\s]+/, ($_[0] // "") }
    while (my $line = <STDIN>) {
      $line =~ s/^\s+|\s+$//g;
      next if $line eq "" || $line =~ /^#/;
      my ($type, @d) = map { s/^\s+|\s+$//gr } split /:/, $line, -1;
      if ($type eq "user" && $d[0] eq $user) {
        @f{qw(USER_EXISTS USER_ENABLE)} = (1, $d[1] ? 1 : 0);
        $f{USER_EXPIRE} = ($d[2] // "") =~ /^\d+$/ ? int $d[2] : 0;
      } elsif ($type eq "token" && $d[0] eq $token) {
        @f{qw(TOKEN_EXISTS TOKEN_PRIVSEP_NOW)} = (1, $d[2] ? 1 : 0);
      } elsif ($type eq "role" && $d[0] eq $role) {
        @f{qw(ROLE_EXISTS ROLE_HAS)} = (1, join ",", sort(list($d[1])));
      } elsif ($type eq "acl") {
        my ($propagate, $path, $members, $roles) = @d;
        $path =~ s{/+$}{} if $path ne "/";
        for my $who (grep { $_ eq $user || $_ eq $token } list($members)) {
          my $kind = $who eq $user ? "user" : "token";
          for my $r (list($roles)) {
            $f{"GRANTED_\U$kind"} = 1 if $path eq "/" && $r eq $role && $propagate;
            next unless $legacy{$path} && $legacy{$path}{$r};
            push @paths, $path unless $old{$path};
            $old{$path}{roles}{$r} = 1;
            $old{$path}{who}{$kind} = 1;
          }
        }
      }
    }
    print "$_=$f{$_}\n" for sort keys %f;
    print "LEGACY_GRANTS=", join(" ", map { join "|", $_, join(",", sort keys %{ $old{$_}{roles} }),
      join(",", sort keys %{ $old{$_}{who} }) } @paths), "\n";' "$USER_FQ" "$USER_FQ!$TOKEN_NAME" "$ROLE_NAME") ||
    die "cannot read $cfg"
  while IFS='=' read -r key value; do
    case $key in
      USER_EXISTS | USER_ENABLE | USER_EXPIRE | TOKEN_EXISTS | TOKEN_PRIVSEP_NOW | ROLE_EXISTS | ROLE_HAS | \
        GRANTED_USER | GRANTED_TOKEN | LEGACY_GRANTS) printf -v "$key" '%s' "$value" ;;
    esac
  done <<<"$facts"
}
