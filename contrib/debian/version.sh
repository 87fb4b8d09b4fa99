#!/usr/bin/env bash
# Prints the Debian version of the package built from this checkout:
#   at tag vX.Y.Z:             X.Y.Z-1
#   N commits past vX.Y.Z:     X.Y.Z+gitN.HASH-1
#   no tag yet:                BASE~gitN.HASH-1 (BASE: the Makefile's VERSION,
#                              the release being worked towards; ~ sorts it
#                              before BASE-1)
# with .dirty before the revision when the work tree has changes.
set -euo pipefail
base=${1:?usage: $0 BASE_VERSION}
cd "$(dirname "$0")/../.."

dirty=""
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	dirty=.dirty
fi
if desc=$(git describe --tags --long --match 'v[0-9]*' 2>/dev/null); then
	# vX.Y.Z-N-gHASH
	hash=${desc##*-g}
	rest=${desc%-g*}
	n=${rest##*-}
	tag=${rest%-*}
	tag=${tag#v}
	if [ "$n" = 0 ]; then
		echo "${tag}${dirty:++git0.$hash$dirty}-1"
	else
		echo "${tag}+git$n.$hash$dirty-1"
	fi
else
	echo "${base}~git$(git rev-list --count HEAD).$(git rev-parse --short=7 HEAD)$dirty-1"
fi
