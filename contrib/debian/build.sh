#!/usr/bin/env bash
# Builds lcpfib's Debian package with dpkg-deb (no debhelper): the binary,
# the systemd units and drop-ins of systemd/, the configuration as a
# conffile, contrib/ as examples, the man page, copyright (with the
# licences of the Go modules linked into the binary), the changelog, the
# maintainer scripts and lintian overrides.
#
#   contrib/debian/build.sh --binary bin/lcpfib --version 0.1.0~git47.4fb5846-1 --out bin
#
# Prints the path of the .deb on stdout. Every file's mtime is the last
# commit's time (SOURCE_DATE_EPOCH), so two builds of one commit are equal.
set -euo pipefail

usage() {
	echo "usage: $0 --binary FILE --version VERSION [--out DIR] [--maintainer 'NAME <EMAIL>']" >&2
	exit 2
}

binary="" version="" out=bin maintainer=""
while [ $# -gt 0 ]; do
	case "$1" in
	--binary) binary=${2:?}; shift 2 ;;
	--version) version=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--maintainer) maintainer=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
if [ -z "$binary" ] || [ -z "$version" ]; then usage; fi
[ -x "$binary" ] || { echo "build.sh: $binary is not an executable" >&2; exit 1; }
binary=$(realpath "$binary")

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"

# The version must be a valid Debian version with a revision (the package
# is not native: it ships changelog.Debian.gz).
if ! dpkg --validate-version "$version" 2>/dev/null || [[ $version != *-* ]]; then
	echo "build.sh: $version is not a Debian version with a revision (UPSTREAM-REVISION)" >&2
	exit 1
fi
if [ -z "$maintainer" ]; then
	maintainer=$(git log -1 --format='%an <%ae>')
fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
commit=$(git rev-parse --short=12 HEAD)
arch=$(dpkg --print-architecture)
[ "$arch" = amd64 ] || echo "build.sh: warning: building for $arch, not amd64" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
doc=$root/usr/share/doc/lcpfib

install -d "$root/DEBIAN" "$root/usr/sbin" "$root/lib/systemd/system" \
	"$root/etc/lcpfib" "$doc/examples" "$root/usr/share/man/man8" \
	"$root/usr/share/lintian/overrides"

# The binary, where systemd/lcpfib.service's ExecStart expects it.
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' systemd/lcpfib.service)
[ "$exec_start" = /usr/sbin/lcpfib ] || {
	echo "build.sh: systemd/lcpfib.service runs $exec_start, the package installs /usr/sbin/lcpfib" >&2
	exit 1
}
install -m 0755 "$binary" "$root/usr/sbin/lcpfib"

# files DIR: the files of the checkout under DIR, tracked or new, but not
# those git ignores.
files() {
	git ls-files --cached --others --exclude-standard -- "$1" | sort -u
}

# Every unit and drop-in under systemd/, as laid out there.
files systemd | while read -r f; do
	install -D -m 0644 "$f" "$root/lib/systemd/system/${f#systemd/}"
done

# The configuration: a conffile, readable by everyone (it holds no secret).
install -m 0644 contrib/lcpfib.yaml "$root/etc/lcpfib/lcpfib.yaml"

# contrib/ (all but this directory) as examples, so that new snippets are
# packaged as they are added. Nothing in examples is executable.
files contrib | grep -v '^contrib/debian/' | while read -r f; do
	install -D -m 0644 "$f" "$doc/examples/${f#contrib/}"
done
gzip -9n -c README.md >"$doc/README.md.gz"

# The man page.
gzip -9n -c "$here/lcpfib.8" >"$root/usr/share/man/man8/lcpfib.8.gz"

# changelog.Debian: this build's entry, then the hand-written history.
{
	echo "lcpfib ($version) unstable; urgency=medium"
	echo
	echo "  * Built from commit $commit:"
	echo "    $(git log -1 --format=%s | cut -c1-72)"
	echo
	echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
	echo
	cat "$here/changelog"
} | gzip -9n >"$doc/changelog.Debian.gz"

# copyright: lcpfib's own paragraph, then one per Go module linked into the
# binary, with its licence text from the module cache.
{
	cat "$here/copyright"
	"$here/module-licenses.sh" "$binary"
} >"$doc/copyright"

install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/lcpfib"

for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"

installed_size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" \
	-e "s|@MAINTAINER@|$maintainer|" -e "s|@INSTALLED_SIZE@|$installed_size|" \
	"$here/control" >"$root/DEBIAN/control"

(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

# Directories 0755, files keep the modes set above; every mtime the commit's.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb=$out/lcpfib_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
