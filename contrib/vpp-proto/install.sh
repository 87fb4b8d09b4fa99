#!/usr/bin/env bash
# Installs lcpfib into a vpp-proto image: Debian with VPP (linux-cp), the
# network namespace dataplane (netns-dataplane.service), FRR and BIRD
# (bird-dataplane.service) running in it.
#
#   install.sh [--root DIR] [--dry-run] [--no-start] lcpfib_VERSION_amd64.deb
#
# It
#   1. installs the package (dpkg -i; with --root, dpkg --root DIR, the
#      maintainer scripts running chrooted in DIR), unless that version is
#      installed already;
#   2. loads zebra's FPM module: -M dplane_fpm_nl in zebra_options of
#      /etc/frr/daemons (../frr/daemons.snippet);
#   3. points zebra at lcpfib: the `fpm address` line of
#      ../frr/frr.conf.snippet in /etc/frr/frr.conf;
#   4. configures VPP as ../vpp/startup.conf.snippet says, in
#      /etc/vpp/startup.conf: linux_cp_plugin enabled, linux_nl_plugin
#      disabled, `default netns dataplane` in linux-cp, the API socket
#      (socksvr) and `gid vpp` in unix;
#   5. when ../bird/lcpfib.conf exists: copies it to /etc/bird/lcpfib.conf
#      and includes it from the configuration bird-dataplane.service reads;
#   6. enables lcpfib.service; on the running system (no --root, systemd
#      running), unless --no-start, restarts what changed (vpp, then frr and bird-dataplane,
#      those that run) and starts lcpfib if it is not running.
# Paths are relative to this script's directory, which is contrib/vpp-proto
# in the repository and /usr/share/doc/lcpfib/examples/vpp-proto in the
# package. Every file it changes is saved once as FILE.lcpfib-orig. Running
# it again changes nothing. --dry-run prints what it would do, with diffs,
# and changes nothing. --root DIR works on an image mounted at DIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=/
dry=0
start=1
deb=""

usage() {
	sed -n '/^#   install.sh/s/^#   //p' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--root)
		[ $# -ge 2 ] || usage
		root=$2
		shift 2
		;;
	--dry-run) dry=1; shift ;;
	--no-start) start=0; shift ;;
	-h | --help) usage ;;
	-*) echo "install.sh: unknown option $1" >&2; usage ;;
	*)
		[ -z "$deb" ] || usage
		deb=$1
		shift
		;;
	esac
done
[ -n "$deb" ] || usage

say() { echo "install.sh: $*"; }
die() {
	echo "install.sh: error: $*" >&2
	exit 1
}

[ -d "$root" ] || die "--root $root is not a directory"
root=$(cd "$root" && pwd)
# R is the prefix of every path in the image: empty for the running system.
R=${root%/}
[ -f "$deb" ] || die "$deb: no such package"
deb=$(realpath "$deb")
if [ "$dry" = 0 ] && [ "$(id -u)" != 0 ]; then
	die "run as root (or with --dry-run)"
fi

# run CMD...: runs a command, or prints it under --dry-run.
run() {
	if [ "$dry" = 1 ]; then
		say "would run: $*"
	else
		say "running: $*"
		"$@"
	fi
}

changed=()

# put FILE NEWFILE SERVICE: makes FILE's content NEWFILE's, saving the
# original once as FILE.lcpfib-orig and keeping FILE's mode and owner;
# SERVICE is what must restart to read it.
put() {
	local file=$1 new=$2 svc=$3
	if [ -f "$file" ] && cmp -s "$file" "$new"; then
		say "${file#"$R"} is already configured"
		return
	fi
	changed+=("$svc")
	if [ "$dry" = 1 ]; then
		say "would change ${file#"$R"}:"
		local from=/dev/null
		[ ! -f "$file" ] || from=$file
		diff -u --label "${file#"$R"}" --label "${file#"$R"} (new)" "$from" "$new" || true
		return
	fi
	if [ -f "$file" ] && [ ! -e "$file.lcpfib-orig" ]; then
		cp -p "$file" "$file.lcpfib-orig"
	fi
	if [ -f "$file" ]; then
		cat "$new" >"$file"
	else
		install -D -m 0644 "$new" "$file"
	fi
	say "changed ${file#"$R"}"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- the image ------------------------------------------------------------
daemons=$R/etc/frr/daemons
frrconf=$R/etc/frr/frr.conf
startup=$R/etc/vpp/startup.conf
[ -f "$daemons" ] || die "${daemons#"$R"} is missing: is FRR installed in $root?"
[ -f "$startup" ] || die "${startup#"$R"} is missing: is VPP installed in $root?"
unit_file() {
	local d
	for d in etc/systemd/system lib/systemd/system usr/lib/systemd/system; do
		if [ -f "$R/$d/$1" ]; then
			echo "$R/$d/$1"
			return
		fi
	done
}
[ -n "$(unit_file netns-dataplane.service)" ] ||
	die "netns-dataplane.service is missing in $root: lcpfib.service runs in the namespace it makes"

# --- 1. the package -------------------------------------------------------
version=$(dpkg-deb --field "$deb" Version)
[ "$(dpkg-deb --field "$deb" Package)" = lcpfib ] || die "$deb is not the lcpfib package"
have=$(dpkg-query --root="$root" -W -f='${db:Status-Status} ${Version}' lcpfib 2>/dev/null || true)
if [ "$have" = "installed $version" ]; then
	say "lcpfib $version is already installed"
elif [ "$root" = / ]; then
	run dpkg -i "$deb"
else
	run dpkg --root="$root" -i "$deb"
fi

# --- 2. zebra loads dplane_fpm_nl -----------------------------------------
fpm_module=$(sed -n 's/^zebra_options=.*\(-M dplane_fpm_nl\).*/\1/p' "$here/../frr/daemons.snippet")
[ -n "$fpm_module" ] || die "../frr/daemons.snippet has no zebra_options with -M dplane_fpm_nl"
if grep -q '^zebra_options=' "$daemons"; then
	# Add the module inside the quotes; leave the options the image has.
	sed -e '/^zebra_options=/{/dplane_fpm_nl/!s/"[[:space:]]*$/ '"$fpm_module"'"/}' "$daemons" >"$work/daemons"
else
	{
		cat "$daemons"
		echo "# lcpfib: zebra sends its routes to lcpfib over FPM."
		grep '^zebra_options=' "$here/../frr/daemons.snippet"
	} >"$work/daemons"
fi
grep -q '^zebra_options=.*-M dplane_fpm_nl' "$work/daemons" ||
	die "${daemons#"$R"}: could not add $fpm_module to zebra_options; edit it by hand"
put "$daemons" "$work/daemons" frr.service

# --- 3. zebra connects to lcpfib ------------------------------------------
fpm_line=$(grep '^fpm address' "$here/../frr/frr.conf.snippet") ||
	die "../frr/frr.conf.snippet has no fpm address line"
if [ -f "$frrconf" ] && grep -q '^fpm address' "$frrconf"; then
	sed -e "s/^fpm address.*/$fpm_line/" "$frrconf" >"$work/frr.conf"
else
	{
		[ ! -f "$frrconf" ] || cat "$frrconf"
		echo "! lcpfib: where zebra's dplane_fpm_nl connects (fpm.listen)."
		echo "$fpm_line"
	} >"$work/frr.conf"
fi
put "$frrconf" "$work/frr.conf" frr.service

# --- 4. VPP's startup.conf ------------------------------------------------
# vppconf EDIT: one edit of VPP's brace-structured startup.conf on stdin,
# at the top level (sections) or in plugins { }; fails on a layout it
# cannot edit safely.
#   plugin NAME STATE        plugin NAME { STATE } in plugins, made or changed
#   ensure SECTION LINE KEY  LINE in SECTION: a line there starting with KEY
#                            becomes LINE, else LINE is added; SECTION is made
#                            if absent
vppconf() {
	awk -v op="$1" -v a="$2" -v b="$3" -v key="${4:-}" '
	function trim(s) { sub(/^[[:space:]]+/, "", s); sub(/[[:space:]]+$/, "", s); return s }
	{ lines[NR] = $0 }
	END {
		depth = 0; sect = ""; cls = 0; found = 0
		for (i = 1; i <= NR; i++) {
			l = lines[i]; sub(/#.*/, "", l); t = trim(l)
			if (depth == 0 && t ~ /^[A-Za-z0-9_-]+[[:space:]]*\{/) {
				name = t; sub(/[[:space:]]*\{.*/, "", name)
				sect = name
				if (t ~ /\}[[:space:]]*$/ && gsub(/\{/, "{", t) == gsub(/\}/, "}", t)) {
					# one-line section: "socksvr { default }"
					if ((op == "plugin" && sect == "plugins") || (op == "ensure" && sect == a)) {
						if (op == "ensure" && index(t, b) > 0) { found = i; continue }
						print "startup.conf line " i ": one-line section " sect " { ... }: edit it by hand" > "/dev/stderr"
						exit 3
					}
					continue
				}
			}
			n = gsub(/\{/, "{", l); m = gsub(/\}/, "}", l)
			if (depth == 0 && n > 0 && sect == "") {
				print "startup.conf line " i ": a { that opens no section: edit it by hand" > "/dev/stderr"
				exit 3
			}
			if (depth == 1 && op == "plugin" && sect == "plugins" && t ~ ("^plugin[[:space:]]+" a "[[:space:]]")) {
				if (t !~ /\{[[:space:]]*(enable|disable)[[:space:]]*\}/) {
					print "startup.conf line " i ": plugin " a " is not written as { enable } or { disable }: edit it by hand" > "/dev/stderr"
					exit 3
				}
				found = i
			}
			if (depth == 1 && op == "ensure" && sect == a && index(t, key) == 1) found = i
			depth += n - m
			if (depth < 0) { print "startup.conf line " i ": unbalanced }" > "/dev/stderr"; exit 3 }
			if (depth == 0 && sect != "" && (n || m)) {
				if ((op == "plugin" && sect == "plugins") || (op == "ensure" && sect == a)) cls = i
				sect = ""
			}
		}
		if (depth != 0) { print "startup.conf: unbalanced {" > "/dev/stderr"; exit 3 }
		for (i = 1; i <= NR; i++) {
			if (found && i == found) {
				if (op == "plugin") {
					l = lines[i]; sub(/\{[[:space:]]*(enable|disable)[[:space:]]*\}/, "{ " b " }", l); print l
				} else if (trim(lines[i]) != b && lines[i] !~ /\{/) {
					print "  " b
				} else print lines[i]
				continue
			}
			if (!found && cls && i == cls) {
				if (op == "plugin") print "  plugin " a " { " b " }"; else print "  " b
			}
			print lines[i]
		}
		if (!found && !cls) {
			print ""
			if (op == "plugin") { print "plugins {"; print "  plugin " a " { " b " }"; print "}" }
			else { print a " {"; print "  " b; print "}" }
		}
	}'
}
# An existing socksvr section is left alone: `socksvr { default }` is
# /run/vpp/api.sock, lcpfib's default vpp.socket; another socket-name must
# then be lcpfib's vpp.socket too.
socksvr=(cat)
if ! grep -Eq '^[[:space:]]*socksvr[[:space:]]*\{' "$startup"; then
	socksvr=(vppconf ensure socksvr "socket-name /run/vpp/api.sock" "socket-name")
elif sock=$(awk '/^[[:space:]]*socksvr[[:space:]]*\{/ { on = 1 } on { print } on && /\}/ { on = 0 }' "$startup" |
	grep -Eo 'socket-name[[:space:]]+[^[:space:]}]+' | awk '{print $2}' | grep -vx /run/vpp/api.sock); then
	say "warning: VPP's API socket is $sock: set vpp.socket: $sock in /etc/lcpfib/lcpfib.yaml"
fi
{
	vppconf plugin linux_cp_plugin.so enable <"$startup" |
		vppconf plugin linux_nl_plugin.so disable |
		vppconf ensure linux-cp "default netns dataplane" "default netns" |
		"${socksvr[@]}" |
		vppconf ensure unix "gid vpp" "gid"
} >"$work/startup.conf" || die "${startup#"$R"}: cannot edit it safely (above); apply ../vpp/startup.conf.snippet by hand"
put "$startup" "$work/startup.conf" vpp.service

# --- 5. BIRD (when contrib/bird/lcpfib.conf exists) -----------------------
if [ -f "$here/../bird/lcpfib.conf" ]; then
	bird_unit=$(unit_file bird-dataplane.service)
	[ -n "$bird_unit" ] || die "../bird/lcpfib.conf exists but bird-dataplane.service does not in $root"
	# The configuration bird-dataplane reads: its -c FILE, else BIRD's default.
	bird_conf=$(sed -n 's/^ExecStart=.* -c[[:space:]]*\([^[:space:]]*\).*/\1/p' "$bird_unit" | head -n1)
	bird_conf=$R${bird_conf:-/etc/bird/bird.conf}
	[ -f "$bird_conf" ] || die "${bird_conf#"$R"} (bird-dataplane's configuration) is missing"
	put "$R/etc/bird/lcpfib.conf" "$here/../bird/lcpfib.conf" bird-dataplane.service
	include='include "/etc/bird/lcpfib.conf";'
	if grep -qF "$include" "$bird_conf"; then
		cp "$bird_conf" "$work/bird.conf"
	else
		{
			cat "$bird_conf"
			echo "# lcpfib: the BGP session to lcpfib's bridge."
			echo "$include"
		} >"$work/bird.conf"
	fi
	put "$bird_conf" "$work/bird.conf" bird-dataplane.service
	# lcpfib's side of the session: the bridge on, BIRD's 127.0.0.2 its
	# peer. Only the packaged default is edited; a configuration someone
	# wrote is theirs.
	conf=$R/etc/lcpfib/lcpfib.yaml
	if cmp -s "$conf" "$R/usr/share/doc/lcpfib/examples/lcpfib.yaml"; then
		sed -e '/^bird:$/,/^[a-z]/{s/^  enable: false$/  enable: true/;s/^  peers: \[\]$/  peers: [{address: 127.0.0.2}]/;}' "$conf" >"$work/lcpfib.yaml"
		put "$conf" "$work/lcpfib.yaml" lcpfib.service
	elif grep -q '^  enable: true' <(sed -n '/^bird:$/,/^[a-z]/p' "$conf" 2>/dev/null); then
		say "${conf#"$R"}: the BIRD bridge is already on"
	else
		say "${conf#"$R"} is not the packaged default: turn the bridge on yourself (bird.enable: true, bird.peers: [{address: 127.0.0.2}])"
	fi
else
	say "no ../bird/lcpfib.conf: BIRD left as it is"
fi

# --- 6. systemd -----------------------------------------------------------
if [ "$root" = / ]; then
	sysctl=(systemctl)
else
	sysctl=(systemctl --root="$root")
fi
if [ "$("${sysctl[@]}" is-enabled lcpfib.service 2>/dev/null || true)" = enabled ]; then
	say "lcpfib.service is already enabled"
else
	run "${sysctl[@]}" enable lcpfib.service
fi
if [ "$root" = / ] && [ "$start" = 1 ] && [ -d /run/systemd/system ]; then
	# VPP first: its restart remakes the linux-cp interfaces FRR and BIRD
	# use. lcpfib follows restarts of VPP and zebra by itself.
	for svc in vpp.service frr.service bird-dataplane.service; do
		printf '%s\n' "${changed[@]}" | grep -qx "$svc" || continue
		if systemctl --quiet is-active "$svc" 2>/dev/null; then
			run systemctl restart "$svc"
		else
			say "$svc is not running: not restarted"
		fi
	done
	if systemctl --quiet is-active lcpfib.service 2>/dev/null; then
		say "lcpfib.service is running"
	else
		run systemctl start lcpfib.service
	fi
elif [ "${#changed[@]}" -gt 0 ]; then
	say "restart to apply: $(printf '%s\n' "${changed[@]}" | sort -u | tr '\n' ' ')"
fi
if [ "$dry" = 1 ]; then
	say "dry run: nothing changed"
else
	say "done; configure /etc/lcpfib/lcpfib.yaml (interfaces or linux-cp) if you have not"
fi
