package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// FRROptions configure the FRR daemons of a lab.
type FRROptions struct {
	FPMPort         int      // where zebra's dplane_fpm_nl connects (127.0.0.1); default 2620
	NoNextHopGroups bool     // `no fpm use-next-hop-groups`
	Log             *os.File // daemons' stdout/stderr; nil discards
	// Statics are staticd's configuration lines (ip route ...), so they
	// survive a restart of the daemons.
	Statics []string
	// FakeKernelMPLS runs zebra where /proc/sys/net/mpls exists (an empty
	// directory in zebra's own mount namespace; see fakeMPLS), so that it
	// enables MPLS on a kernel without mpls_router and accepts `mpls lsp`
	// and labelled routes. The kernel still refuses to install them, so
	// zebra's dataplane does not hand them to dplane_fpm_nl as they
	// change: they reach FPM when zebra replays on a new connection.
	FakeKernelMPLS bool
}

// fakeMPLS is a shell script that runs its arguments with
// /proc/sys/net/mpls present: FRR's mpls_kernel_init only stats that
// path. The rest of /proc/sys/net is bound back in, so zebra reads the
// real sysctls of its namespace.
const fakeMPLS = `set -e
f=$(mktemp -d)
mount -t tmpfs lcpfib-fake-mpls "$f"
for d in /proc/sys/net/*; do
  n=$(basename "$d")
  if [ -d "$d" ]; then mkdir "$f/$n"; else touch "$f/$n"; fi
  mount --bind "$d" "$f/$n"
done
mkdir -p "$f/mpls"
mount --bind "$f" /proc/sys/net
exec "$@"`

// FRR is zebra and staticd running in a lab's router namespace.
type FRR struct {
	ns    *Netns
	dir   string
	opts  FRROptions
	procs []*exec.Cmd
}

// Restart stops the daemons and starts them again with statics as
// staticd's configuration (zebra replays everything to lcpfib when it
// reconnects).
func (f *FRR) Restart(statics []string) error {
	f.Stop()
	o := f.opts
	o.Statics = statics
	nf, err := StartFRR(f.ns, f.dir, o)
	if err != nil {
		return err
	}
	*f = *nf
	return nil
}

// StartFRR starts zebra (with -M dplane_fpm_nl) and staticd in the router
// namespace, with their sockets and configuration in dir, and waits until
// vtysh reaches both.
func StartFRR(ns *Netns, dir string, o FRROptions) (*FRR, error) {
	if o.FPMPort == 0 {
		o.FPMPort = 2620
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o777); err != nil { // zebra drops to user frr
		return nil, err
	}
	conf := fmt.Sprintf("fpm address 127.0.0.1 port %d\n", o.FPMPort)
	if o.NoNextHopGroups {
		conf += "no fpm use-next-hop-groups\n"
	}
	files := map[string]string{"zebra.conf": conf, "staticd.conf": strings.Join(o.Statics, "\n") + "\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	f := &FRR{ns: ns, dir: dir, opts: o}
	common := func(d string) []string {
		return []string{"-f", filepath.Join(dir, d+".conf"), "-i", filepath.Join(dir, d+".pid"),
			"-z", filepath.Join(dir, "zserv.api"), "--vty_socket", dir, "-u", "frr", "-g", "frr",
			"--log", "stdout"}
	}
	daemons := [][]string{
		append([]string{"/usr/lib/frr/zebra", "-M", "dplane_fpm_nl"}, common("zebra")...),
		append([]string{"/usr/lib/frr/staticd"}, common("staticd")...),
	}
	names := []string{"zebra", "staticd"}
	if o.FakeKernelMPLS {
		daemons[0] = append([]string{"unshare", "--mount", "sh", "-c", fakeMPLS, "sh"}, daemons[0]...)
	}
	for i, d := range daemons {
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns.Router}, d...)...)
		if o.Log != nil {
			cmd.Stdout, cmd.Stderr = o.Log, o.Log
		}
		if err := cmd.Start(); err != nil {
			f.Stop()
			return nil, fmt.Errorf("starting %s: %w", d[0], err)
		}
		f.procs = append(f.procs, cmd)
		name := names[i]
		if err := f.waitVty(name, 10*time.Second); err != nil {
			f.Stop()
			return nil, err
		}
	}
	return f, nil
}

func (f *FRR) waitVty(daemon string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		_, err := output("vtysh", "--vty_socket", f.dir, "-d", daemon, "-c", "show version")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer vtysh within %s: %w", daemon, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop kills the daemons and waits for them.
func (f *FRR) Stop() {
	for i := len(f.procs) - 1; i >= 0; i-- {
		p := f.procs[i]
		_ = p.Process.Kill()
		_ = p.Wait()
	}
	f.procs = nil
}

// Vtysh runs commands in one vtysh session; "conf t" style lines work.
func (f *FRR) Vtysh(cmds ...string) (string, error) {
	args := []string{"--vty_socket", f.dir}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	out, err := output("vtysh", args...)
	if err == nil && strings.Contains(out, "% ") {
		return out, fmt.Errorf("vtysh %q: %s", cmds, strings.TrimSpace(out))
	}
	return out, err
}

// Configure runs lines in configuration mode.
func (f *FRR) Configure(lines ...string) error {
	_, err := f.Vtysh(append([]string{"configure terminal"}, lines...)...)
	return err
}

// ZNexthop is one nexthop of a zebra route, as `show ip route json` says.
type ZNexthop struct {
	IP          string `json:"ip"`
	Interface   string `json:"interfaceName"`
	Ifindex     uint32 `json:"interfaceIndex"`
	Connected   bool   `json:"directlyConnected"`
	Blackhole   bool   `json:"blackhole"`
	Reject      bool   `json:"reject"`
	Unreachable bool   `json:"unreachable"`
	Active      bool   `json:"active"`
	FIB         bool   `json:"fib"`
	Weight      uint32 `json:"weight"`
}

// ZRoute is a route zebra selected.
type ZRoute struct {
	Prefix   netip.Prefix
	Table    uint32
	Protocol string
	Nexthops []ZNexthop
}

type zjson struct {
	Protocol string     `json:"protocol"`
	Selected bool       `json:"selected"`
	Table    uint32     `json:"table"`
	Nexthops []ZNexthop `json:"nexthops"`
}

// Selected returns the routes zebra selected in the given Linux tables,
// IPv4 and IPv6, sorted by table then prefix. Only nexthops zebra marks as
// installed in the FIB are kept.
func (f *FRR) Selected(tables ...uint32) ([]ZRoute, error) {
	var out []ZRoute
	for _, t := range tables {
		for _, af := range []string{"ip", "ipv6"} {
			cmd := fmt.Sprintf("show %s route json", af)
			if t != 254 {
				cmd = fmt.Sprintf("show %s route table %d json", af, t)
			}
			raw, err := f.Vtysh(cmd)
			if err != nil {
				return nil, err
			}
			var m map[string][]zjson
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				return nil, fmt.Errorf("%s: %w", cmd, err)
			}
			for p, rs := range m {
				pfx, err := netip.ParsePrefix(p)
				if err != nil {
					return nil, fmt.Errorf("%s: prefix %q: %w", cmd, p, err)
				}
				for _, r := range rs {
					if !r.Selected {
						continue
					}
					zr := ZRoute{Prefix: pfx, Table: t, Protocol: r.Protocol}
					for _, nh := range r.Nexthops {
						if nh.FIB {
							zr.Nexthops = append(zr.Nexthops, nh)
						}
					}
					out = append(out, zr)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Prefix.String() < out[j].Prefix.String()
	})
	return out, nil
}

// FPMCounters returns zebra's `show fpm counters json`.
func (f *FRR) FPMCounters() (map[string]int64, error) {
	raw, err := f.Vtysh("show fpm counters json")
	if err != nil {
		return nil, err
	}
	var m map[string]int64
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("show fpm counters json: %w", err)
	}
	return m, nil
}

// WaitFPM waits until zebra has sent something over its FPM connection,
// which says the connection is up and its replay has started.
func (f *FRR) WaitFPM(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := f.FPMCounters()
		if err != nil {
			return err
		}
		if c["bytes-sent"] > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("zebra did not send anything over FPM within %s: %v", d, c)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
