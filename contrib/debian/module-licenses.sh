#!/usr/bin/env bash
# Prints machine-readable copyright paragraphs (DEP-5) for the Go standard
# library and every Go module linked into BINARY (`go version -m`), each
# with its licence text read from the module cache. Fails on a module whose
# licence file is missing or not one of the licences recognised below:
# a statically linked binary must not ship with a licence left out.
#
#   contrib/debian/module-licenses.sh bin/lcpfib
set -euo pipefail

binary=${1:?usage: $0 BINARY}
go=${GO:-go}
modcache=$("$go" env GOMODCACHE)
goroot=$("$go" env GOROOT)

# escape turns a module path into its module-cache form (upper case X: !x).
escape() {
	# shellcheck disable=SC2001 # \L (lower case) has no ${//} form
	sed -e 's/[A-Z]/!\L&/g' <<<"$1"
}

# licence_name prints the DEP-5 short name of the licence text in $1; a
# file that holds several licences gets "A and B".
licence_name() {
	local f=$1 names=()
	if grep -q 'Apache License' "$f" && grep -q 'Version 2.0' "$f"; then
		names+=(Apache-2.0)
	fi
	if grep -q 'Mozilla Public License' "$f" && grep -q 'Version 2.0' "$f"; then
		names+=(MPL-2.0)
	fi
	if grep -q 'Permission is hereby granted, free of charge' "$f"; then
		names+=(Expat)
	fi
	if grep -q 'Permission to use, copy, modify, and/or distribute' "$f"; then
		names+=(ISC)
	fi
	if grep -q 'Redistribution and use in source and binary forms' "$f"; then
		if grep -qi 'neither the name' "$f" || grep -qi 'names of its contributors' "$f"; then
			names+=(BSD-3-Clause)
		else
			names+=(BSD-2-Clause)
		fi
	fi
	[ ${#names[@]} -gt 0 ] || return 1
	local IFS=$'\n'
	sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/ and /g' <<<"${names[*]}"
}

# paragraph prints one Files paragraph for module $1 (its files: $1/*),
# licence file $2, and an optional comment $3.
paragraph() {
	local mod=$1 lic=$2 comment=${3:-} name holders
	name=$(licence_name "$lic") || {
		echo "module-licenses.sh: $mod: $lic is no licence this script recognises; add it" >&2
		exit 1
	}
	holders=$(grep -i -E '^[[:space:]]*copyright[[:space:]]*(\(c\)|©|[0-9])' "$lic" | sed -e 's/^[[:space:]]*//' | sort -u || true)
	[ -n "$holders" ] || holders="the authors of $mod"
	echo
	echo "Files: $mod/*"
	printf 'Copyright:'
	while read -r h; do printf ' %s\n' "$h"; done <<<"$holders"
	echo "License: $name"
	[ -z "$comment" ] || echo "Comment: $comment"
	if [ "$name" = Apache-2.0 ]; then
		echo " On Debian systems the full text of the Apache License 2.0 is in"
		echo " /usr/share/common-licenses/Apache-2.0."
	elif [ "$name" = MPL-2.0 ]; then
		echo " On Debian systems the full text of the Mozilla Public License 2.0 is"
		echo " in /usr/share/common-licenses/MPL-2.0."
	else
		# A file that bundles the Apache License's full text next to
		# another licence: the terms are replaced by a pointer to Debian's
		# copy. Then DEP-5 continuation lines: a space in front, " ." for
		# an empty one.
		awk '
			skip && /END OF TERMS AND CONDITIONS/ { skip = 0; next }
			skip { next }
			/^[[:space:]]*Apache License[[:space:]]*$/ { held = $0; next }
			held != "" && /Version 2\.0, January 2004/ {
				print "[The terms of the Apache License 2.0 are in /usr/share/common-licenses/Apache-2.0.]"
				held = ""; skip = 1; next
			}
			held != "" { print held; held = "" }
			{ print }
		' "$lic" | sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /'
	fi
}

gover=$("$go" version "$binary" | awk '{print $2}')
paragraph go "$goroot/LICENSE" "Compiled into /usr/sbin/lcpfib: the Go standard library and runtime ($gover), and the Go modules below."

"$go" version -m "$binary" | awk '$1 == "dep" {print $2, $3} $1 == "=>" {print "replace", $2, $3}' |
	while read -r mod ver; do
		if [ "$mod" = replace ]; then
			echo "module-licenses.sh: replaced modules are not handled" >&2
			exit 1
		fi
		dir=$modcache/$(escape "$mod")@$(escape "$ver")
		lic=$(find "$dir" -maxdepth 1 -type f \( -iname 'LICENSE*' -o -iname 'LICENCE*' -o -iname 'COPYING*' \) 2>/dev/null | sort | head -n1)
		if [ -z "$lic" ]; then
			echo "module-licenses.sh: $mod@$ver: no licence file in $dir (run go mod download)" >&2
			exit 1
		fi
		paragraph "$mod" "$lic"
	done
