# shellcheck shell=bash
# Sourced by testbed/debcheck.sh and testbed/vpp-proto-check.sh: their
# messages, and scratch roots to install lcpfib's package into with
# dpkg --root.

# fail MESSAGE: says what is wrong, prefixed by the check's name, and
# ends the check.
fail() {
	echo "${0##*/}: FAIL: $*" >&2
	exit 1
}
step() { echo "${0##*/}: $*" >&2; }
indent() { sed 's/^/  /'; }

# scratch_root DIR: an empty dpkg database and the account files useradd
# and groupadd edit.
scratch_root() {
	local r=$1
	mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/etc" "$r/lib/systemd/system"
	: >"$r/var/lib/dpkg/status"
	: >"$r/var/lib/dpkg/available"
	echo 'root:x:0:0:root:/root:/bin/bash' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
	echo 'root:*:19000:0:99999:7:::' >"$r/etc/shadow"
	echo 'root:*::' >"$r/etc/gshadow"
	chmod 0640 "$r/etc/shadow" "$r/etc/gshadow"
}

# dpkg_root DIR ARGS...: dpkg on the root DIR; the maintainer scripts run
# here, outside a chroot, with DPKG_ROOT=DIR. The package's Depends
# (passwd, init-system-helpers) are on this system, not in DIR.
dpkg_root() {
	local r=$1 log
	shift
	log=$(DPKG_ROOT=$r dpkg --root="$r" --force-script-chrootless --force-depends "$@" 2>&1) ||
		fail "dpkg --root $r $*:"$'\n'"$log"
}
