package lab

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip_types"

	"github.com/lcpfib/lcpfib/vpp"
)

// A FIB line is one route in a canonical text form, the same for what zebra
// selected and what VPP holds, so the two can be compared and shown side by
// side: "<vpp table> <prefix> <paths>", paths sorted, each
// "via <gw> sw <sw_if_index> w<weight>" or drop / unreach / prohibit.

// Want returns the FIB lines VPP must hold for zebra's selected routes,
// given which VPP sw_if_index each Linux interface is paired with. Paths
// through unpaired interfaces are left out, and a route left with none is
// not expected in VPP at all (lcpfib cannot forward it); neither are
// connected routes (see Connected).
func Want(routes []ZRoute, swIfIndex map[string]uint32) []string {
	var out []string
	for _, r := range routes {
		id, ok := vpp.TableID(r.Table)
		if !ok || Connected(r) {
			continue
		}
		var paths []string
		for _, nh := range r.Nexthops {
			switch {
			case nh.Blackhole:
				paths = append(paths, "drop")
			case nh.Reject || nh.Unreachable:
				paths = append(paths, "unreach")
			default:
				sw, ok := swIfIndex[nh.Interface]
				if nh.Interface != "" && !ok {
					continue
				}
				w := nh.Weight
				if w == 0 {
					w = 1
				}
				gw := ""
				if nh.IP != "" {
					gw = netip.MustParseAddr(nh.IP).String()
				}
				paths = append(paths, path(gw, sw, nh.Interface != "", w))
			}
		}
		if len(paths) == 0 {
			continue
		}
		out = append(out, line(id, r.Prefix, paths))
	}
	slices.Sort(out)
	return out
}

// Connected reports a route lcpfib leaves to VPP's interface addresses:
// zebra's connected routes, and kernel routes with only interface
// nexthops (on the FPM wire both are rtm_protocol kernel, interface-only).
func Connected(r ZRoute) bool {
	if r.Protocol == "connected" {
		return true
	}
	if r.Protocol != "kernel" || len(r.Nexthops) == 0 {
		return false
	}
	for _, nh := range r.Nexthops {
		if nh.IP != "" || nh.Blackhole || nh.Reject || nh.Unreachable {
			return false
		}
	}
	return true
}

// Have returns the FIB lines of what the API source holds in the given VPP
// tables, both address families.
func Have(ctx context.Context, conn api.Connection, tables ...uint32) ([]string, error) {
	srcs, err := vpp.Sources(ctx, conn, 5*time.Second)
	if err != nil {
		return nil, err
	}
	apiSrc, ok := srcs["API"]
	if !ok {
		return nil, fmt.Errorf("VPP has no FIB source named API: %v", srcs)
	}
	var out []string
	for _, t := range tables {
		for _, ip6 := range []bool{false, true} {
			es, err := vpp.DumpRoutes(ctx, conn, t, ip6, 5*time.Second)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				if e.Source != apiSrc {
					continue
				}
				var paths []string
				for _, p := range e.Paths {
					paths = append(paths, vppPath(p))
				}
				out = append(out, line(e.Table, e.Prefix, paths))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func vppPath(p fib_types.FibPath) string {
	switch p.Type {
	case fib_types.FIB_API_PATH_TYPE_DROP:
		return "drop"
	case fib_types.FIB_API_PATH_TYPE_ICMP_UNREACH:
		return "unreach"
	case fib_types.FIB_API_PATH_TYPE_ICMP_PROHIBIT:
		return "prohibit"
	}
	af := vppAF(p.Proto)
	gw := ""
	if a := vpp.FromAddress(af, p.Nh.Address); !a.IsUnspecified() {
		gw = a.String()
	}
	return path(gw, p.SwIfIndex, p.SwIfIndex != ^uint32(0), uint32(p.Weight))
}

func path(gw string, sw uint32, hasSw bool, weight uint32) string {
	var b strings.Builder
	if gw != "" {
		b.WriteString("via " + gw + " ")
	}
	if hasSw {
		fmt.Fprintf(&b, "sw %d ", sw)
	}
	fmt.Fprintf(&b, "w%d", weight)
	return b.String()
}

func line(table uint32, p netip.Prefix, paths []string) string {
	slices.Sort(paths)
	return fmt.Sprintf("%d %s %s", table, p.Masked(), strings.Join(paths, ", "))
}

func vppAF(p fib_types.FibPathNhProto) ip_types.AddressFamily {
	if p == fib_types.FIB_API_PATH_NH_PROTO_IP6 {
		return ip_types.ADDRESS_IP6
	}
	return ip_types.ADDRESS_IP4
}
