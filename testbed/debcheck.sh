#!/usr/bin/env bash
# Checks lcpfib's Debian package (make debcheck; make test runs it), as
# root, and fails loudly on the first problem:
#   1. dpkg-deb --info: the control fields and the maintainer scripts
#      (and shellcheck on them and on the packaging scripts);
#   2. dpkg-deb --contents: every expected path, with its mode and owner,
#      every unit and drop-in of systemd/ and every file of contrib/;
#   3. lintian: no error or warning, no override left unused;
#   4. installation into scratch roots with dpkg --root (the maintainer
#      scripts run chrootless, with DPKG_ROOT): the user and the group,
#      the unit verified by systemd-analyze inside the root (so ExecStart
#      must be there), the configuration path the unit names checked by
#      the installed binary, the service not enabled, a reinstall,
#      an existing user, removal and purge;
#   5. contrib/vpp-proto/install.sh against a scratch image
#      (testbed/vpp-proto-check.sh).
#
#   testbed/debcheck.sh bin/lcpfib_VERSION_amd64.deb
set -euo pipefail

deb=${1:?usage: $0 PACKAGE.deb}
cd "$(dirname "$0")/.."
top=$(pwd)
deb=$(realpath "$deb")

# shellcheck source=testbed/scratchroot.sh
. testbed/scratchroot.sh

[ "$(id -u)" = 0 ] || fail "run as root (dpkg --root and chown in scratch roots)"
for tool in dpkg-deb dpkg lintian systemd-analyze systemctl useradd; do
	command -v "$tool" >/dev/null || fail "$tool is missing (testbed/setup.sh installs it)"
done
[ -f "$deb" ] || fail "$deb does not exist (make deb)"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# --- 1. control ---------------------------------------------------------
step "control of $(basename "$deb")"
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = lcpfib ] || fail "Package is $(field Package)"
[ "$(field Architecture)" = amd64 ] || fail "Architecture is $(field Architecture), want amd64"
version=$(field Version)
[[ $(basename "$deb") == "lcpfib_${version}_amd64.deb" ]] || fail "file name $(basename "$deb") does not carry Version $version"
dpkg --validate-version "$version" || fail "Version $version is not a Debian version"
[[ $(field Depends) == *passwd* ]] || fail "Depends lacks passwd (postinst runs useradd): $(field Depends)"
[[ $(field Depends) == *procps* ]] || fail "Depends lacks procps (the unit's ExecReload runs /bin/kill): $(field Depends)"
[[ $(field Maintainer) == *"<"*@*">" ]] || fail "Maintainer is not NAME <EMAIL>: $(field Maintainer)"
[ -n "$(field Description)" ] || fail "no Description"
info=$(dpkg-deb --info "$deb")
for member in control md5sums conffiles postinst prerm postrm; do
	grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\*? +$member( |$)" <<<"$info" || fail "control archive lacks $member:"$'\n'"$info"
done
ctl=$scratch/control
dpkg-deb --control "$deb" "$ctl"
[ "$(cat "$ctl/conffiles")" = /etc/lcpfib/lcpfib.yaml ] || fail "conffiles is not exactly /etc/lcpfib/lcpfib.yaml: $(cat "$ctl/conffiles")"
for s in postinst prerm postrm; do
	[ -x "$ctl/$s" ] || fail "$s is not executable"
	sh -n "$ctl/$s" || fail "$s: syntax error"
done
command -v shellcheck >/dev/null || fail "shellcheck is missing (testbed/setup.sh installs it)"
shellcheck -s sh "$ctl/postinst" "$ctl/prerm" "$ctl/postrm" || fail "shellcheck: maintainer scripts"
shellcheck contrib/debian/*.sh testbed/debcheck.sh testbed/vpp-proto-check.sh testbed/scratchroot.sh ||
	fail "shellcheck: packaging scripts"

# --- 2. contents --------------------------------------------------------
step "contents"
contents=$(dpkg-deb --contents "$deb")
# has MODE PATH: the package holds PATH (relative, no leading ./) with MODE
# (ls -l style), owned by root.
has() {
	local mode=$1 path=$2
	grep -Eq "^$mode root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$path\$" <<<"$contents" ||
		fail "package lacks $mode root/root ./$path; it has:"$'\n'"$(grep -F "$path" <<<"$contents" || echo '  (no such path)')"
}
has -rwxr-xr-x usr/sbin/lcpfib
has -rw-r--r-- etc/lcpfib/lcpfib.yaml
has -rw-r--r-- usr/share/man/man8/lcpfib.8.gz
has -rw-r--r-- usr/share/doc/lcpfib/copyright
has -rw-r--r-- usr/share/doc/lcpfib/changelog.Debian.gz
has -rw-r--r-- usr/share/lintian/overrides/lcpfib
while read -r f; do
	has -rw-r--r-- "lib/systemd/system/${f#systemd/}"
done < <(git ls-files --cached --others --exclude-standard systemd)
while read -r f; do
	has -rw-r--r-- "usr/share/doc/lcpfib/examples/${f#contrib/}"
done < <(git ls-files --cached --others --exclude-standard contrib | grep -v '^contrib/debian/')
for f in lib/systemd/system/lcpfib.service lib/systemd/system/frr.service.d/lcpfib.conf \
	lib/systemd/system/bird-dataplane.service.d/lcpfib.conf; do
	has -rw-r--r-- "$f"
done
if grep -v ' root/root ' <<<"$contents"; then fail "files above are not owned by root/root"; fi
if grep -E '^-..[sS]|^-.....[sS]' <<<"$contents"; then fail "setuid or setgid files above"; fi
if grep -F ' ./usr/share/doc/lcpfib/examples/' <<<"$contents" | grep -E '^-(..x|.....x|........x)'; then
	fail "executable files in examples above"
fi

# --- 3. lintian ---------------------------------------------------------
step "lintian"
lrc=0
lint=$(lintian --pedantic --display-info --fail-on error,warning "$deb" 2>&1) || lrc=$?
lint=$(grep -v 'running with root privileges' <<<"$lint" || true)
indent <<<"${lint:-no tag but the overridden ones (contrib/debian/lintian-overrides)}" >&2
[ "$lrc" = 0 ] || fail "lintian exits $lrc: errors or warnings (above)"
if grep -E '^[EWIP]: .*(unused-override|mismatched-override|malformed-override)' <<<"$lint"; then
	fail "contrib/debian/lintian-overrides has overrides lintian no longer needs or cannot read"
fi

# --- 4. installation into scratch roots ---------------------------------
# newroot DIR: a scratch root with systemd's targets and what the units
# order themselves after, so that systemd-analyze can verify them inside
# the root.
newroot() {
	local r=$1 u
	scratch_root "$r"
	for u in sysinit.target basic.target shutdown.target sockets.target multi-user.target; do
		printf '[Unit]\nDescription=%s stand-in\n' "$u" >"$r/lib/systemd/system/$u"
	done
	install -D -m 0755 /bin/true "$r/bin/true"
	for u in vpp.service netns-dataplane.service frr.service bird-dataplane.service; do
		printf '[Unit]\nDescription=%s stand-in\n[Service]\nExecStart=/bin/true\n' "$u" >"$r/lib/systemd/system/$u"
	done
}
# account DB NAME ROOT: NAME's line of ROOT/etc/DB.
account() { awk -F: -v n="$2" '$1 == n' "$3/etc/$1"; }

root=$scratch/root
newroot "$root"
step "install into $root"
dpkg_root "$root" -i "$deb"
status=$(dpkg --root="$root" -s lcpfib | sed -n 's/^Status: //p')
[ "$status" = "install ok installed" ] || fail "dpkg status is '$status'"

unit=$root/lib/systemd/system/lcpfib.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
bin=${exec_start%% *}
[ -x "$root$bin" ] || fail "ExecStart=$exec_start: $bin is not an executable in the package"
"$root$bin" help >/dev/null || fail "$bin help failed"
config=$(sed -n 's/.*--config \([^ ]*\).*/\1/p' <<<"$exec_start")
[ -n "$config" ] || fail "ExecStart=$exec_start names no --config"
[ -f "$root$config" ] || fail "the unit's configuration $config is not installed"
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
[ "$pre" = "$bin config check $config" ] || fail "ExecStartPre=$pre does not check $config with $bin"
out=$("$root$bin" config check "$root$config") || fail "the packaged configuration does not check: $out"
# ExecReload's /bin/kill comes with procps, a dependency: on a real
# system it is there; the scratch root gets this system's.
[ -e "$root/bin/kill" ] || install -D -m 0755 /bin/kill "$root/bin/kill"
for u in lcpfib.service frr.service bird-dataplane.service; do
	out=$(systemd-analyze verify --root="$root" "$u" 2>&1) || fail "systemd-analyze verify --root $u:"$'\n'"$out"
	[ -z "$out" ] || fail "systemd-analyze verify --root $u:"$'\n'"$out"
done
# Enabled, lcpfib is pulled in by FRR and BIRD (WantedBy=), which the
# drop-ins order after it; nothing pulls it in before it is enabled.
for u in frr.service bird-dataplane.service; do
	grep -qx 'After=lcpfib.service' "$root/lib/systemd/system/$u.d/lcpfib.conf" ||
		fail "$u.d/lcpfib.conf does not order $u after lcpfib.service"
	! grep -q '^\(Wants\|Requires\|BindsTo\)=.*lcpfib' "$root/lib/systemd/system/$u.d/lcpfib.conf" ||
		fail "$u.d/lcpfib.conf pulls lcpfib.service in even when it is not enabled"
	grep -q "^WantedBy=.*\b$u\b" "$unit" || fail "lcpfib.service is not WantedBy $u"
done

want_user=$(sed -n 's/^User=//p' "$unit")
want_group=$(sed -n 's/^Group=//p' "$unit")
[ "$want_user:$want_group" = lcpfib:vpp ] || fail "the unit runs as $want_user:$want_group, postinst makes lcpfib:vpp"
pw=$(account passwd lcpfib "$root")
gr=$(account group vpp "$root")
[ -n "$pw" ] || fail "postinst made no user lcpfib: $(cat "$root/etc/passwd")"
[ -n "$gr" ] || fail "postinst made no group vpp: $(cat "$root/etc/group")"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ "$gid" = "$(cut -d: -f3 <<<"$gr")" ] || fail "lcpfib's primary group is $gid, not vpp: $pw / $gr"
[ "$uid" -lt 1000 ] || fail "lcpfib is not a system user (uid $uid)"
[ "$home $shell" = "/var/lib/lcpfib /usr/sbin/nologin" ] || fail "lcpfib: home $home, shell $shell"
[ "$(stat -c '%u:%g %a' "$root$home")" = "$uid:$gid 750" ] || fail "$home is $(stat -c '%u:%g %a' "$root$home"), want $uid:$gid 750"
enabled=$(find "$root/etc/systemd/system" -name lcpfib.service 2>/dev/null || true)
[ -z "$enabled" ] || fail "installation enabled lcpfib: $enabled"

step "reinstall (postinst configure with the old version)"
cp "$root/etc/passwd" "$scratch/passwd.before"
cp "$root/etc/group" "$scratch/group.before"
dpkg_root "$root" -i "$deb"
cmp -s "$root/etc/passwd" "$scratch/passwd.before" || fail "a reinstall changed /etc/passwd"
cmp -s "$root/etc/group" "$scratch/group.before" || fail "a reinstall changed /etc/group"

step "enable, remove, purge"
systemctl --root="$root" enable lcpfib.service >/dev/null 2>&1 || fail "systemctl --root enable lcpfib.service"
link=$root/etc/systemd/system/multi-user.target.wants/lcpfib.service
[ -L "$link" ] || fail "systemctl enable made no $link"
echo "edited by the operator" >>"$root/etc/lcpfib/lcpfib.yaml"
dpkg_root "$root" --remove lcpfib
[ ! -e "$root/usr/sbin/lcpfib" ] || fail "remove left /usr/sbin/lcpfib"
[ ! -e "$unit" ] || fail "remove left the unit"
[ -f "$root/etc/lcpfib/lcpfib.yaml" ] || fail "remove deleted the conffile"
[ -d "$root/var/lib/lcpfib" ] || fail "remove deleted /var/lib/lcpfib (only purge may)"
dpkg_root "$root" --purge lcpfib
for p in /etc/lcpfib /var/lib/lcpfib /etc/systemd/system/multi-user.target.wants/lcpfib.service; do
	if [ -e "$root$p" ] || [ -L "$root$p" ]; then fail "purge left $p"; fi
done
if find "$root/var/lib/systemd/deb-systemd-helper-enabled" -name '*lcpfib*' 2>/dev/null | grep .; then
	fail "purge left deb-systemd-helper state above"
fi
[ -n "$(account passwd lcpfib "$root")" ] || fail "purge removed the user lcpfib (system users stay)"

step "install with an existing user lcpfib (another group) and an existing group vpp"
root2=$scratch/root2
newroot "$root2"
echo 'vpp:x:456:' >>"$root2/etc/group"
echo 'vpp:!::' >>"$root2/etc/gshadow"
echo 'nogroup:x:65534:' >>"$root2/etc/group"
echo 'nogroup:*::' >>"$root2/etc/gshadow"
echo 'lcpfib:x:321:65534::/nonexistent:/usr/sbin/nologin' >>"$root2/etc/passwd"
echo 'lcpfib:*:19000:0:99999:7:::' >>"$root2/etc/shadow"
dpkg_root "$root2" -i "$deb"
[ "$(grep -c '^vpp:' "$root2/etc/group")" = 1 ] || fail "postinst added a second group vpp"
[ "$(account group vpp "$root2" | cut -d: -f3,4)" = 456:lcpfib ] || fail "existing lcpfib was not added to the existing vpp: $(account group vpp "$root2")"
[ "$(account passwd lcpfib "$root2" | cut -d: -f3)" = 321 ] || fail "postinst changed the existing user: $(account passwd lcpfib "$root2")"

# --- 5. the vpp-proto install script ------------------------------------
step "contrib/vpp-proto/install.sh"
"$top/testbed/vpp-proto-check.sh" "$deb"

step "ok: $(basename "$deb")"
