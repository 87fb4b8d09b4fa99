#!/usr/bin/env bash
# Installs what the demo and the tests need on a Debian 12 machine, as root:
# FRR and BIRD 2 from Debian, iproute2, lintian and shellcheck (for the
# package checks), and Go >= the version go.mod names
# (from /usr/local/go when present; otherwise Debian's Go fetches the
# toolchain from the Go module proxy). Safe to run again: it only installs
# what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_go=1.26.8 # the toolchain CI and the README use; go.mod requires at least its minor

need_apt=()
command -v ip >/dev/null || need_apt+=(iproute2)
[ -x /usr/lib/frr/zebra ] || need_apt+=(frr)
command -v bird >/dev/null || need_apt+=(bird2)
command -v make >/dev/null || need_apt+=(make)
command -v git >/dev/null || need_apt+=(git)
command -v systemd-analyze >/dev/null || need_apt+=(systemd)
command -v lintian >/dev/null || need_apt+=(lintian)     # make debcheck
command -v shellcheck >/dev/null || need_apt+=(shellcheck) # make debcheck: the install script
if [ ${#need_apt[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: need root to install ${need_apt[*]}" >&2
		exit 1
	fi
	echo "setup: installing ${need_apt[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# The packaged services would hold FRR's and BIRD's default sockets; the lab
# runs its own daemons in their own namespaces, so keep them stopped.
for svc in frr bird; do
	systemctl stop "$svc" 2>/dev/null || true
done

go_ok() {
	local v
	v=$("$1" env GOVERSION 2>/dev/null) || return 1
	v=${v#go}
	[ "$(printf '%s\n%s\n' "$want_go" "$v" | sort -V | head -n1)" = "$want_go" ]
}

if [ -x /usr/local/go/bin/go ] && go_ok /usr/local/go/bin/go; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "setup: need root to install Go $want_go into /usr/local/go" >&2
	exit 1
fi
echo "setup: installing Go $want_go into /usr/local/go" >&2
command -v go >/dev/null || {
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go ca-certificates >/dev/null
}
# Debian's Go is older than ours: let it download our toolchain as a module.
tc="golang.org/toolchain@v0.0.1-go${want_go}.linux-amd64"
tmp=$(mktemp -d)
dir=$(cd "$tmp" && GOFLAGS=-mod=mod GOPATH="$tmp/gopath" go mod download -json "$tc" | awk -F'"' '/"Dir"/{print $4}')
rm -rf /usr/local/go
cp -a "$dir" /usr/local/go
chmod -R u+w /usr/local/go
chmod +x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/* 2>/dev/null || true
rm -rf "$tmp"
go_ok /usr/local/go/bin/go || { echo "setup: Go install failed" >&2; exit 1; }
