#!/usr/bin/env bash
# Checks contrib/vpp-proto/install.sh against scratch vpp-proto images
# (--root DIR), as root; testbed/debcheck.sh runs it, make test through
# make debcheck. Fails loudly on the first problem:
#   - shellcheck finds nothing in the script;
#   - --dry-run prints the package installation, the diffs and the enable,
#     and changes no file of the image;
#   - a real run (package installed with dpkg --root, scripts chrootless)
#     loads dplane_fpm_nl in zebra, adds the fpm address, turns linux_nl
#     off and linux-cp's default netns to dataplane in VPP while keeping
#     the image's other settings, includes the BIRD snippet when there is
#     one, keeps the originals and enables lcpfib.service;
#   - a second run changes nothing;
#   - an image without the sections gets them; a startup.conf laid out in a
#     way it cannot edit safely makes it fail and stay untouched.
#
#   testbed/vpp-proto-check.sh bin/lcpfib_VERSION_amd64.deb
set -euo pipefail

deb=$(realpath "${1:?usage: $0 PACKAGE.deb}")
cd "$(dirname "$0")/.."

# shellcheck source=testbed/scratchroot.sh
. testbed/scratchroot.sh

[ "$(id -u)" = 0 ] || fail "run as root"
command -v shellcheck >/dev/null || fail "shellcheck is missing (testbed/setup.sh installs it)"
shellcheck contrib/vpp-proto/install.sh || fail "shellcheck: contrib/vpp-proto/install.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The script as packaged beside the snippets, plus a BIRD snippet (the
# repository has none yet) to exercise that branch.
contrib=$scratch/contrib
cp -r contrib "$contrib"
rm -rf "$contrib/debian"
if [ ! -f "$contrib/bird/lcpfib.conf" ]; then
	mkdir -p "$contrib/bird"
	printf '# test stand-in for contrib/bird/lcpfib.conf\nprotocol bgp lcpfib { }\n' >"$contrib/bird/lcpfib.conf"
fi
script=$contrib/vpp-proto/install.sh

# image DIR: a vpp-proto image as far as the script looks: FRR's daemons
# and frr.conf, VPP's startup.conf (linux_nl on, linux-cp without a
# namespace), the namespace and BIRD units, BIRD's configuration, and an
# empty dpkg database.
image() {
	local r=$1
	scratch_root "$r"
	mkdir -p "$r/etc/frr" "$r/etc/vpp" "$r/etc/bird" "$r/etc/systemd/system"
	cat >"$r/etc/frr/daemons" <<-'EOF'
		bgpd=yes
		ospfd=no
		ospf6d=yes
		vtysh_enable=yes
		zebra_options="  -A 127.0.0.1 -s 90000000"
		bgpd_options="   -A 127.0.0.1"
	EOF
	cat >"$r/etc/frr/frr.conf" <<-'EOF'
		frr defaults traditional
		hostname vpp-proto
		log syslog informational
		!
		line vty
		!
	EOF
	cat >"$r/etc/vpp/startup.conf" <<-'EOF'
		unix {
		  nodaemon
		  log /var/log/vpp/vpp.log
		  cli-listen /run/vpp/cli.sock
		  gid vpp
		  exec /etc/vpp/bootstrap.vpp
		}

		api-trace { on }
		api-segment { gid vpp }
		socksvr { default }

		statseg {
		  socket-name /run/vpp/stats.sock
		  size 1G
		}

		plugins {
		  plugin default { enable }
		  plugin dpdk_plugin.so { disable }   # virtio in the VM
		  plugin linux_cp_plugin.so { enable }
		  plugin linux_nl_plugin.so { enable }
		}

		linux-cp {
		  lcp-sync
		  lcp-auto-subint
		}
	EOF
	printf '[Unit]\nDescription=dataplane namespace\n[Service]\nType=oneshot\nExecStart=/usr/bin/ip netns add dataplane\n' \
		>"$r/etc/systemd/system/netns-dataplane.service"
	printf '[Unit]\nDescription=BIRD in dataplane\n[Service]\nNetworkNamespacePath=/run/netns/dataplane\nExecStart=/usr/sbin/bird -f -u bird -g bird -c /etc/bird/bird-dataplane.conf\n' \
		>"$r/etc/systemd/system/bird-dataplane.service"
	printf 'router id 192.0.2.1;\nprotocol device { }\n' >"$r/etc/bird/bird-dataplane.conf"
}
# tree DIR: a digest of every file's path, mode and content under DIR.
tree() {
	(cd "$1" && find . -printf '%p %m %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum
}

img=$scratch/image
image "$img"

step "--dry-run --root (package not installed)"
before=$(tree "$img")
out=$("$script" --root "$img" --dry-run "$deb" 2>&1) || fail "dry run failed:"$'\n'"$out"
indent <<<"$out" >&2
[ "$(tree "$img")" = "$before" ] || fail "--dry-run changed the image"
for want in "would run: dpkg --root=$img -i $deb" \
	"would change /etc/frr/daemons:" '+zebra_options="  -A 127.0.0.1 -s 90000000 -M dplane_fpm_nl"' \
	"would change /etc/frr/frr.conf:" "+fpm address 127.0.0.1 port 2620" \
	"would change /etc/vpp/startup.conf:" "+  plugin linux_nl_plugin.so { disable }" "+  default netns dataplane" \
	"would change /etc/bird/lcpfib.conf:" '+include "/etc/bird/lcpfib.conf";' \
	"would run: systemctl --root=$img enable lcpfib.service" "install.sh: dry run: nothing changed"; do
	grep -qxF -- "$want" <<<"$out" || grep -qF -- "$want" <<<"$out" || fail "dry run did not print: $want"
done

step "real run --root (package installed with dpkg --root)"
dpkg_root "$img" -i "$deb"
out=$("$script" --root "$img" "$deb" 2>&1) || fail "install.sh failed:"$'\n'"$out"
indent <<<"$out" >&2
grep -qF "lcpfib $(dpkg-deb --field "$deb" Version) is already installed" <<<"$out" || fail "install.sh did not see the installed package"
[ "$(grep -c '^zebra_options=' "$img/etc/frr/daemons")" = 1 ] || fail "daemons: zebra_options not exactly once"
grep -qx 'zebra_options="  -A 127.0.0.1 -s 90000000 -M dplane_fpm_nl"' "$img/etc/frr/daemons" ||
	fail "daemons: $(grep '^zebra_options=' "$img/etc/frr/daemons")"
grep -qx 'bgpd_options="   -A 127.0.0.1"' "$img/etc/frr/daemons" || fail "daemons: bgpd_options changed"
[ "$(grep -c '^fpm address 127.0.0.1 port 2620$' "$img/etc/frr/frr.conf")" = 1 ] || fail "frr.conf: fpm address not exactly once"
grep -qx 'hostname vpp-proto' "$img/etc/frr/frr.conf" || fail "frr.conf lost the image's lines"
sc=$img/etc/vpp/startup.conf
grep -qx '  plugin linux_nl_plugin.so { disable }' "$sc" || fail "startup.conf: linux_nl not disabled"
grep -qx '  plugin linux_cp_plugin.so { enable }' "$sc" || fail "startup.conf: linux_cp not enabled"
awk '/^linux-cp \{/,/^\}/' "$sc" | grep -qx '  default netns dataplane' || fail "startup.conf: linux-cp has no default netns dataplane"
awk '/^linux-cp \{/,/^\}/' "$sc" | grep -qx '  lcp-sync' || fail "startup.conf: linux-cp lost lcp-sync"
grep -qx 'socksvr { default }' "$sc" || fail "startup.conf: socksvr changed"
[ "$(grep -c 'gid vpp' "$sc")" = 2 ] || fail "startup.conf: gid vpp not in unix and api-segment only"
grep -qx '  socket-name /run/vpp/stats.sock' "$sc" || fail "startup.conf: statseg changed"
[ "$(tr -cd '{' <"$sc" | wc -c)" = "$(tr -cd '}' <"$sc" | wc -c)" ] || fail "startup.conf: braces unbalanced"
diff <(grep -v -e linux_nl -e 'default netns' "$sc") <(grep -v -e linux_nl "$sc.lcpfib-orig") >/dev/null ||
	fail "startup.conf: more changed than linux_nl and the namespace:"$'\n'"$(diff -u "$sc.lcpfib-orig" "$sc")"
cmp -s "$img/etc/bird/lcpfib.conf" "$contrib/bird/lcpfib.conf" || fail "/etc/bird/lcpfib.conf is not the snippet"
grep -qx 'include "/etc/bird/lcpfib.conf";' "$img/etc/bird/bird-dataplane.conf" || fail "bird-dataplane.conf does not include the snippet"
sed -n '/^bird:$/,/^[a-z]/p' "$img/etc/lcpfib/lcpfib.yaml" | grep -qx '  enable: true' || fail "lcpfib.yaml: the BIRD bridge is not on"
grep -qx '  peers: \[{address: 127.0.0.2}\]' "$img/etc/lcpfib/lcpfib.yaml" || fail "lcpfib.yaml: BIRD (127.0.0.2) is not the bridge's peer"
ycheck=$("$img/usr/sbin/lcpfib" config check "$img/etc/lcpfib/lcpfib.yaml" 2>&1) || fail "the edited lcpfib.yaml does not check: $ycheck"
for f in etc/frr/daemons etc/frr/frr.conf etc/vpp/startup.conf etc/bird/bird-dataplane.conf; do
	[ -f "$img/$f.lcpfib-orig" ] || fail "no $f.lcpfib-orig"
done
[ -L "$img/etc/systemd/system/multi-user.target.wants/lcpfib.service" ] || fail "lcpfib.service not enabled"
grep -q '^install.sh: restart to apply: .*vpp.service' <<<"$out" || fail "install.sh did not say vpp must restart"

step "second run changes nothing"
before=$(tree "$img")
out=$("$script" --root "$img" "$deb" 2>&1) || fail "second run failed:"$'\n'"$out"
[ "$(tree "$img")" = "$before" ] || fail "second run changed the image:"$'\n'"$out"
if grep -E 'changed|running:' <<<"$out"; then fail "second run acted (above)"; fi

step "an image without the sections, and one the script cannot edit"
img2=$scratch/image2
image "$img2"
printf 'unix {\n  nodaemon\n}\n' >"$img2/etc/vpp/startup.conf"
sed -i '/^zebra_options=/d' "$img2/etc/frr/daemons"
rm "$img2/etc/frr/frr.conf"
rm -r "$contrib/bird"
dpkg_root "$img2" -i "$deb"
out=$("$script" --root "$img2" --no-start "$deb" 2>&1) || fail "install.sh on a bare image failed:"$'\n'"$out"
grep -qF 'no ../bird/lcpfib.conf: BIRD left as it is' <<<"$out" || fail "install.sh did not skip BIRD without its snippet"
want=$(printf '%s\n' 'unix {' '  nodaemon' '  gid vpp' '}' '' 'plugins {' '  plugin linux_cp_plugin.so { enable }' \
	'  plugin linux_nl_plugin.so { disable }' '}' '' 'linux-cp {' '  default netns dataplane' '}' '' \
	'socksvr {' '  socket-name /run/vpp/api.sock' '}')
[ "$(cat "$img2/etc/vpp/startup.conf")" = "$want" ] || fail "bare startup.conf became:"$'\n'"$(cat "$img2/etc/vpp/startup.conf")"
grep -qx 'zebra_options="  -A 127.0.0.1 -s 90000000 -M dplane_fpm_nl"' "$img2/etc/frr/daemons" || fail "bare daemons: no zebra_options added"
grep -qx 'fpm address 127.0.0.1 port 2620' "$img2/etc/frr/frr.conf" || fail "no frr.conf made"

printf 'unix { nodaemon }\nplugins {\n  plugin linux_nl_plugin.so {\n    enable\n  }\n}\n' >"$img2/etc/vpp/startup.conf"
cp "$img2/etc/vpp/startup.conf" "$scratch/odd.conf"
if out=$("$script" --root "$img2" "$deb" 2>&1); then
	fail "install.sh accepted a startup.conf it cannot edit:"$'\n'"$out"
fi
grep -q 'edit it by hand' <<<"$out" || fail "install.sh failed without saying why:"$'\n'"$out"
cmp -s "$img2/etc/vpp/startup.conf" "$scratch/odd.conf" || fail "install.sh changed a startup.conf it refused"

step "ok"
