package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"time"

	"net/netip"

	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/vpp"
)

// checkWait is how long check waits by default for the dataplane to
// settle (nothing pending, nothing in flight) before it compares.
const checkWait = 10 * time.Second

type diffView struct {
	Table  uint32 `json:"table"`
	Prefix string `json:"prefix"`
	Cause  string `json:"cause"` // missing, extra, paths, failed, unresolved; zebra-missing, zebra-extra, zebra-paths with --zebra
	Want   string `json:"want,omitempty"`
	Have   string `json:"have,omitempty"`
	Err    string `json:"err,omitempty"`
}

type checkView struct {
	Settled     bool       `json:"settled"` // nothing was pending or in flight when compared
	Pending     int        `json:"pending"`
	Wanted      int        `json:"wanted"`
	InVPP       int        `json:"in_vpp"`
	Tables      int        `json:"tables"`
	LSPs        int        `json:"lsps"`                   // wanted LSPs
	LSPsInVPP   int        `json:"lsps_in_vpp"`            // LSPs owned by lcpfib in VPP's MPLS FIB
	MPLS        bool       `json:"lsps_compared"`          // false: VPP lacks the MPLS API
	Zebra       *int       `json:"zebra_routes,omitempty"` // with --zebra: zebra's selected routes compared
	Differences []diffView `json:"differences"`
}

// check waits (up to args["wait"]) for the dataplane to settle, then
// compares VPP's FIB with the desired state.
func (d *daemon) check(ctx context.Context, args map[string]string) (checkView, error) {
	var v checkView
	wait := checkWait
	if s := args["wait"]; s != "" {
		w, err := time.ParseDuration(s)
		if err != nil || w < 0 {
			return v, fmt.Errorf("wait %q: want a duration such as 10s", s)
		}
		wait = w
	}
	if !d.vpp.Stats().Connected {
		return v, fmt.Errorf("not connected to VPP at %s: nothing to compare (see lcpfib show vpp)", d.vpp.Settings().Socket)
	}
	settled, pending, err := d.settle(ctx, wait)
	if err != nil {
		return v, err
	}
	v.Settled, v.Pending = settled, pending
	routes, err := d.rib.Routes(ctx)
	if err != nil {
		return v, fmt.Errorf("asking the rib: %w", err)
	}
	res, err := d.vpp.Check(ctx, routes)
	if err != nil {
		return v, fmt.Errorf("reading VPP's FIB: %w", err)
	}
	v.Wanted, v.InVPP, v.Tables = res.Wanted, res.InVPP, res.Tables
	v.LSPs, v.LSPsInVPP, v.MPLS = res.LSPs, res.LSPsInVPP, res.MPLS
	v.Differences = []diffView{}
	for _, df := range res.Differences {
		var prefix string
		if !df.Key.IsLSP() {
			prefix = df.Key.Prefix.String()
		}
		v.Differences = append(v.Differences, diffView{Table: df.Key.Table, Prefix: routeName(prefix, df.Key.Label), Cause: df.Cause, Want: df.Want, Have: df.Have, Err: df.Err})
	}
	return v, nil
}

// settle waits until nothing is pending in the rib nor in flight to VPP,
// or wait has passed, polling every 50 ms.
func (d *daemon) settle(ctx context.Context, wait time.Duration) (bool, int, error) {
	deadline := time.Now().Add(wait)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		rs, err := d.rib.Stats(ctx)
		if err != nil {
			return false, 0, fmt.Errorf("asking the rib: %w", err)
		}
		if rs.Pending == 0 && d.vpp.Stats().InFlight == 0 {
			return true, 0, nil
		}
		if !time.Now().Before(deadline) {
			return false, rs.Pending, nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return false, rs.Pending, ctx.Err()
		}
	}
}

func printCheck(w io.Writer, v checkView) error {
	if !v.Settled {
		fmt.Fprintf(w, "warning: %d changes were still pending: some differences may be work in progress\n", v.Pending)
	}
	if len(v.Differences) > 0 {
		tw := table(w)
		fmt.Fprintln(tw, "TABLE\tPREFIX\tCAUSE\tWANT\tHAVE\tERROR")
		for _, df := range v.Differences {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", df.Table, df.Prefix, df.Cause, dash(df.Want), dash(df.Have), dash(df.Err))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	summary := fmt.Sprintf("%d routes wanted, %d owned by lcpfib in VPP (%d tables)", v.Wanted, v.InVPP, v.Tables)
	if v.Zebra != nil {
		summary += fmt.Sprintf(", %d selected by zebra in the main table", *v.Zebra)
	}
	switch {
	case v.MPLS && (v.LSPs > 0 || v.LSPsInVPP > 0):
		summary += fmt.Sprintf("; %d LSPs wanted, %d owned by lcpfib in VPP", v.LSPs, v.LSPsInVPP)
	case !v.MPLS && v.LSPs > 0:
		summary += fmt.Sprintf("; %d LSPs not compared (VPP lacks the MPLS API)", v.LSPs)
	}
	if len(v.Differences) == 0 {
		_, err := fmt.Fprintf(w, "in sync: %s\n", summary)
		return err
	}
	_, err := fmt.Fprintf(w, "%d differences: %s\n", len(v.Differences), summary)
	return err
}

// ---- --zebra: zebra's selection against lcpfib's desired main table.

type zNexthop struct {
	IP          string `json:"ip"`
	Ifindex     uint32 `json:"interfaceIndex"`
	Blackhole   bool   `json:"blackhole"`
	Reject      bool   `json:"reject"`
	Unreachable bool   `json:"unreachable"`
	FIB         bool   `json:"fib"`
}

type zRoute struct {
	Protocol string     `json:"protocol"`
	Selected bool       `json:"selected"`
	Nexthops []zNexthop `json:"nexthops"`
}

// zebraMain runs vtysh for zebra's selected IPv4 and IPv6 routes of the
// main table, as "prefix" -> canonical paths, leaving out what lcpfib
// leaves to VPP (connected routes, kernel routes with interface-only
// nexthops).
func zebraMain(ctx context.Context, vtysh []string) (map[netip.Prefix]string, error) {
	out := map[netip.Prefix]string{}
	for _, af := range []string{"ip", "ipv6"} {
		cmd := fmt.Sprintf("show %s route json", af)
		args := append(slices.Clone(vtysh[1:]), "-c", cmd)
		raw, err := exec.CommandContext(ctx, vtysh[0], args...).Output()
		if err != nil {
			return nil, fmt.Errorf("%s -c %q: %w", strings.Join(vtysh, " "), cmd, err)
		}
		var m map[string][]zRoute
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s -c %q: %w", strings.Join(vtysh, " "), cmd, err)
		}
		for p, rs := range m {
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				return nil, fmt.Errorf("%s: prefix %q: %w", cmd, p, err)
			}
			for _, r := range rs {
				if !r.Selected || leftToVPP(r) {
					continue
				}
				var paths []string
				for _, nh := range r.Nexthops {
					if !nh.FIB {
						continue
					}
					switch {
					case nh.Blackhole:
						paths = append(paths, "blackhole")
					case nh.Reject || nh.Unreachable:
						paths = append(paths, "unreachable")
					default:
						paths = append(paths, canonPath(nh.IP, nh.Ifindex))
					}
				}
				if len(paths) > 0 {
					slices.Sort(paths)
					out[pfx.Masked()] = strings.Join(slices.Compact(paths), ", ")
				}
			}
		}
	}
	return out, nil
}

// leftToVPP: zebra's connected routes and kernel routes with only
// interface nexthops, which lcpfib does not program (VPP has them from
// its interface addresses).
func leftToVPP(r zRoute) bool {
	if r.Protocol == "connected" || r.Protocol == "local" {
		return true
	}
	if r.Protocol != "kernel" {
		return false
	}
	for _, nh := range r.Nexthops {
		if nh.IP != "" || nh.Blackhole || nh.Reject || nh.Unreachable {
			return false
		}
	}
	return true
}

func canonPath(gw string, ifindex uint32) string {
	s := ""
	if gw != "" {
		if a, err := netip.ParseAddr(gw); err == nil {
			s = "via " + a.String()
		}
	}
	if ifindex != 0 {
		if s != "" {
			s += " "
		}
		s += fmt.Sprintf("ifindex %d", ifindex)
	}
	return s
}

// ribMain is lcpfib's desired main table in the same canonical form.
func ribMain(routes []routeView) map[netip.Prefix]string {
	return canonRoutes(routes, func(r routeView) bool { return r.Table == vpp.LinuxTableMain },
		func(pv pathView) string { return canonPath(pv.Gateway, pv.Ifindex) })
}

// canonRoutes is the routes keep selects as prefix -> their paths, each
// written by path, sorted and de-duplicated; blackhole and unreachable
// (prohibit too) for the drop kinds.
func canonRoutes(routes []routeView, keep func(routeView) bool, path func(pathView) string) map[netip.Prefix]string {
	out := map[netip.Prefix]string{}
	for _, r := range routes {
		p, err := netip.ParsePrefix(r.Prefix)
		if err != nil || !keep(r) {
			continue
		}
		var paths []string
		switch r.Kind {
		case rib.Blackhole.String():
			paths = []string{"blackhole"}
		case rib.Unreachable.String(), rib.Prohibit.String():
			paths = []string{"unreachable"}
		default:
			for _, pv := range r.Paths {
				paths = append(paths, path(pv))
			}
		}
		slices.Sort(paths)
		out[p] = strings.Join(slices.Compact(paths), ", ")
	}
	return out
}

// compareZebra lists where zebra's selection and lcpfib's desired main
// table differ.
func compareZebra(z, l map[netip.Prefix]string) []diffView {
	var out []diffView
	for p, zp := range z {
		lp, ok := l[p]
		switch {
		case !ok:
			out = append(out, diffView{Table: vpp.LinuxTableMain, Prefix: p.String(), Cause: "zebra-missing", Want: zp,
				Err: "zebra selected it; lcpfib did not get it (or skipped it: see show fpm)"})
		case lp != zp:
			out = append(out, diffView{Table: vpp.LinuxTableMain, Prefix: p.String(), Cause: "zebra-paths", Want: zp, Have: lp})
		}
	}
	for p, lp := range l {
		if _, ok := z[p]; !ok {
			out = append(out, diffView{Table: vpp.LinuxTableMain, Prefix: p.String(), Cause: "zebra-extra", Have: lp,
				Err: "lcpfib wants it; zebra has not selected it"})
		}
	}
	sortDiffs(out)
	return out
}

// sortDiffs orders differences by prefix, as rib.CompareKeys does.
func sortDiffs(out []diffView) {
	slices.SortFunc(out, func(a, b diffView) int {
		pa, _ := netip.ParsePrefix(a.Prefix)
		pb, _ := netip.ParsePrefix(b.Prefix)
		return rib.CompareKeys(rib.Key{Prefix: pa}, rib.Key{Prefix: pb})
	})
}
