// Command demo runs the lab demo: FRR's zebra in a network namespace feeds
// lcpfib over FPM, lcpfib programs vppsim (our VPP stand-in) through VPP's
// binary API, and the demo prints side by side what zebra selected and what
// VPP holds, dumped through the API. Then BIRD 2, in the same namespace,
// exports its routes to lcpfib's BGP bridge with the shipped
// contrib/bird/lcpfib.conf, and the demo shows them in VPP, `lcpfib show
// bird` and `lcpfib check --bird`. It cleans up on exit or Ctrl-C.
//
// Run it as root through `make demo`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/testbed/lab"
	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

var vppNames = []struct{ linux, vpp string }{
	{"eth0", "GigabitEthernet3/0/0"},
	{"eth1", "GigabitEthernet3/0/1"},
}

// statics are the routes the demo configures through vtysh.
var statics = []string{
	"ip route 192.0.2.0/24 10.0.0.2",
	"ip route 198.51.100.0/24 10.0.0.2",
	"ip route 198.51.100.0/24 10.0.1.2",
	"ip route 203.0.113.0/24 blackhole",
	"ip route 203.0.113.128/25 reject",
	"ip route 192.0.2.128/25 10.0.1.2 table 100",
	"ipv6 route 2001:db8:100::/48 fe80::1 eth0",
	"ipv6 route 2001:db8:300::/48 2001:db8::2",
	"ipv6 route 2001:db8:300::/48 2001:db8:1::2",
}

// birdStatics are the routes BIRD exports in the demo: one next hop, an
// interface route, ECMP as two static protocols of equal preference
// (add-path carries both), unreachable, IPv6.
const birdStatics = `
protocol static b1 {
	ipv4;
	route 100.64.0.0/24 via 10.0.0.2;
	route 100.64.1.0/24 via "eth1";
	route 100.64.8.0/22 via 10.0.0.2;
	route 100.64.2.0/24 unreachable;
}
protocol static b2 { ipv4; route 100.64.8.0/22 via 10.0.1.2; }
protocol static b6 { ipv6; route 2001:db8:500::/48 via 2001:db8::2; }
`

// birdPrefixes are the prefixes of birdStatics, as VPP's table 0 lists them.
var birdPrefixes = []string{"100.64.0.0/24", "100.64.1.0/24", "100.64.8.0/22", "100.64.2.0/24", "2001:db8:500::/48"}

func main() {
	lcpfib := flag.String("lcpfib", "bin/lcpfib", "the lcpfib binary to run")
	hold := flag.Bool("hold", false, "keep the lab running until Ctrl-C (to explore with vtysh)")
	nhg := flag.Bool("nexthop-groups", true, "zebra sends nexthop groups (FRR's default)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demo(ctx, *lcpfib, *hold, *nhg); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func demo(ctx context.Context, lcpfibBin string, hold, nhg bool) error {
	if err := lab.CheckRoot(); err != nil {
		return err
	}
	bin, err := filepath.Abs(lcpfibBin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "lcpfib-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // FRR runs as user frr
		return err
	}

	step("creating network namespaces lcpfib-demo (router) and lcpfib-demo-peer, veths eth0 and eth1")
	_ = (&lab.Netns{Router: "lcpfib-demo", Peer: "lcpfib-demo-peer"}).Close() // left over from a killed run
	ns, err := lab.NewNetns("lcpfib-demo", lab.DefaultLinks)
	if err != nil {
		return err
	}
	defer ns.Close()

	step("starting vppsim (VPP stand-in) with " + vppNames[0].vpp + " and " + vppNames[1].vpp)
	sock := filepath.Join(dir, "api.sock")
	vs, err := sim.Listen(sock)
	if err != nil {
		return err
	}
	swName := map[uint32]string{}
	sw := map[string]uint32{}
	for _, p := range vppNames {
		idx, err := vs.AddInterface(sim.Interface{Name: p.vpp})
		if err != nil {
			return err
		}
		swName[idx], sw[p.linux] = p.vpp, idx
	}
	simCtx, stopSim := context.WithCancel(context.Background())
	simDone := make(chan struct{})
	go func() { vs.Serve(simCtx); close(simDone) }()
	defer func() { stopSim(); <-simDone }()

	step("starting lcpfib (" + bin + ")")
	cfg := filepath.Join(dir, "lcpfib.yaml")
	ctl := filepath.Join(dir, "ctl.sock")
	yaml := fmt.Sprintf("netns: %s\ncontrol:\n  socket: %s\nfpm:\n  listen: 127.0.0.1:2620\nvpp:\n  socket: %s\n", ns.Path(), ctl, sock)
	yaml += "bird:\n  enable: true\n  ecmp: true\n  peers:\n    - address: 127.0.0.2\ninterfaces:\n"
	for _, p := range vppNames {
		yaml += fmt.Sprintf("  - linux: %s\n    vpp: %q\n", p.linux, p.vpp)
	}
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "lcpfib.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	lc := exec.Command(bin, "run", "--config", cfg)
	lc.Stdout, lc.Stderr = logf, logf
	if err := lc.Start(); err != nil {
		return fmt.Errorf("starting lcpfib: %w (run `make build` first)", err)
	}
	lcDone := make(chan error, 1)
	go func() { lcDone <- lc.Wait() }()
	defer func() {
		_ = lc.Process.Signal(syscall.SIGTERM)
		<-lcDone
	}()

	mode := "nexthop groups on"
	if !nhg {
		mode = "no fpm use-next-hop-groups"
	}
	step("starting FRR zebra -M dplane_fpm_nl (" + mode + ") and staticd in lcpfib-demo")
	frr, err := lab.StartFRR(ns, filepath.Join(dir, "frr"), lab.FRROptions{NoNextHopGroups: !nhg})
	if err != nil {
		return err
	}
	defer frr.Stop()

	conn, err := core.Connect(socketclient.NewVppClient(sock))
	if err != nil {
		return err
	}
	defer conn.Disconnect()

	// zebra replays only the main table of each VRF when it (re)connects
	// (FRR 8.4), so configure the table-100 route after it connected: its
	// connected routes reaching VPP say it has.
	step("waiting for zebra's FPM connection (it retries every 3 s)")
	if err := frr.WaitFPM(15 * time.Second); err != nil {
		return err
	}

	step("adding static routes through vtysh:")
	for _, s := range statics {
		fmt.Println("      " + s)
	}
	if err := frr.Configure(statics...); err != nil {
		return err
	}

	step("waiting until VPP holds what zebra selected")
	want, err := converge(ctx, frr, conn, sw, 7) // the statics make 7 routes
	if err != nil {
		return err
	}
	have, err := lab.Have(ctx, conn, 0, 100)
	if err != nil {
		return err
	}
	fmt.Println()
	printSideBySide(want, have, swName)
	fmt.Println()
	if !slices.Equal(want, have) {
		b, _ := os.ReadFile(logPath)
		fmt.Printf("lcpfib log:\n%s\n", b)
		return fmt.Errorf("VPP does not match zebra")
	}
	fmt.Printf("VPP holds exactly what zebra selected: %d routes.\n", len(want))
	fmt.Println("(Connected routes are not listed: VPP makes them from its own interface addresses.)")

	if err := birdDemo(ctx, ns, dir, bin, ctl, conn, swName, hold); err != nil {
		b, _ := os.ReadFile(logPath)
		fmt.Printf("lcpfib log:\n%s\n", b)
		return err
	}
	if hold {
		fmt.Printf("\nThe lab stays up until Ctrl-C. Try:\n  vtysh --vty_socket %s -c 'show ip route'\n  tail -f %s\n", filepath.Join(dir, "frr"), logPath)
		<-ctx.Done()
	}
	step("cleaning up")
	return nil
}

// converge waits until zebra has selected at least statics routes that
// are not connected ones and VPP holds exactly what zebra selected. It
// returns zebra's view in lab's canonical form.
func converge(ctx context.Context, frr *lab.FRR, conn *core.Connection, sw map[string]uint32, statics int) ([]string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		zr, err := frr.Selected(254, 100)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, r := range zr {
			if r.Protocol != "connected" {
				n++
			}
		}
		want := lab.Want(zr, sw)
		have, err := lab.Have(ctx, conn, 0, 100)
		if err != nil {
			return nil, err
		}
		if n >= statics && slices.Equal(want, have) {
			return want, nil
		}
		if time.Now().After(deadline) {
			return want, nil // the caller shows the difference
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func step(s string) { fmt.Println("==> " + s) }

// printSideBySide prints one row per (table, prefix): zebra's selection in
// lab's canonical form, and VPP's, with interface names.
func printSideBySide(want, have []string, swName map[uint32]string) {
	split := func(lines []string) (map[string]string, []string) {
		m := map[string]string{}
		var keys []string
		for _, l := range lines {
			f := strings.SplitN(l, " ", 3)
			k := "table " + f[0] + "  " + f[1]
			m[k] = named(f[2], swName)
			keys = append(keys, k)
		}
		return m, keys
	}
	wm, wk := split(want)
	hm, hk := split(have)
	keys := append(wk, hk...)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VPP TABLE / PREFIX\tZEBRA SELECTED (FPM)\tVPP FIB (ip_route_v2_dump, source API)\t")
	for _, k := range keys {
		mark := "ok"
		if wm[k] != hm[k] {
			mark = "DIFFERENT"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k, or(wm[k]), or(hm[k]), mark)
	}
	tw.Flush()
}

func or(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// named replaces "sw N" with the VPP interface name.
func named(paths string, swName map[uint32]string) string {
	for idx, name := range swName {
		paths = strings.ReplaceAll(paths, fmt.Sprintf("sw %d ", idx), name+" ")
	}
	return paths
}

// birdDemo starts BIRD with birdStatics and the shipped contrib file, waits
// until VPP holds its routes, and shows them with lcpfib's own tools.
func birdDemo(ctx context.Context, ns *lab.Netns, dir, bin, ctl string, conn *core.Connection, swName map[uint32]string, hold bool) error {
	contrib, err := filepath.Abs("contrib/bird/lcpfib.conf")
	if err != nil {
		return err
	}
	step("starting BIRD 2 in lcpfib-demo with " + contrib + " and static routes:")
	fmt.Print(strings.TrimPrefix(birdStatics, "\n"))
	conf := fmt.Sprintf("router id 10.255.0.1;\nprotocol device { scan time 1; }\n%s\ninclude %q;\n", birdStatics, contrib)
	b, err := lab.StartBIRD(ns, filepath.Join(dir, "bird"), conf, nil)
	if err != nil {
		return err
	}
	defer b.Kill()
	if err := b.Established("lcpfib", 30*time.Second); err != nil {
		return err
	}

	step("waiting until VPP holds BIRD's routes")
	var fromBird []string
	for deadline := time.Now().Add(30 * time.Second); ; {
		have, err := lab.Have(ctx, conn, 0)
		if err != nil {
			return err
		}
		fromBird = slices.DeleteFunc(have, func(l string) bool {
			return !slices.ContainsFunc(birdPrefixes, func(p string) bool { return strings.Contains(l, " "+p+" ") })
		})
		if len(fromBird) == len(birdPrefixes) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("VPP holds %d of BIRD's %d routes after 30 s: %v", len(fromBird), len(birdPrefixes), fromBird)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Println()
	fmt.Println("VPP FIB (ip_route_v2_dump, source API), BIRD's prefixes:")
	for _, l := range fromBird {
		for idx, name := range swName {
			l = strings.ReplaceAll(l, fmt.Sprintf(" sw %d ", idx), " "+name+" ")
		}
		fmt.Println("  " + l)
	}
	for _, args := range [][]string{
		{"show", "bird", "--socket", ctl},
		{"check", "--bird", "--birdc", "birdc -s " + b.Socket(), "--socket", ctl},
	} {
		shown := slices.Clone(args[:len(args)-2])
		for i, a := range shown {
			if strings.Contains(a, " ") {
				shown[i] = fmt.Sprintf("%q", a)
			}
		}
		fmt.Printf("\n$ lcpfib %s\n", strings.Join(shown, " "))
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		fmt.Print(string(out))
		if err != nil {
			return fmt.Errorf("lcpfib %s: %w", strings.Join(args, " "), err)
		}
	}
	fmt.Println()
	fmt.Println("VPP holds BIRD's routes, and lcpfib check --bird finds BIRD's table and VPP in agreement.")
	if hold { // BIRD stops when this returns
		fmt.Printf("\nThe lab stays up until Ctrl-C. Try:\n  birdc -s %s show route\n  %s show bird --socket %s\n", b.Socket(), bin, ctl)
		<-ctx.Done()
	}
	return nil
}
