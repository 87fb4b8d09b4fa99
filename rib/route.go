package rib

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Kind says what a route does with a packet.
type Kind uint8

// Route kinds. They follow the Linux rtm_type values a routing daemon uses.
const (
	Unicast     Kind = iota // forward along Paths
	Blackhole               // drop silently
	Unreachable             // drop and answer ICMP unreachable
	Prohibit                // drop and answer ICMP administratively prohibited
)

func (k Kind) String() string {
	switch k {
	case Unicast:
		return "unicast"
	case Blackhole:
		return "blackhole"
	case Unreachable:
		return "unreachable"
	case Prohibit:
		return "prohibit"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Source names the routing daemon a route came from.
type Source uint8

// Route sources.
const (
	SourceFRR  Source = iota + 1 // zebra's FPM feed
	SourceBIRD                   // the BGP bridge to BIRD
)

func (s Source) String() string {
	switch s {
	case SourceFRR:
		return "frr"
	case SourceBIRD:
		return "bird"
	}
	return fmt.Sprintf("source(%d)", uint8(s))
}

// Key identifies a route: a Linux routing table and a masked prefix, or,
// for a label switched path (see LSPKey), the incoming MPLS label and no
// prefix.
type Key struct {
	Table  uint32
	Label  uint32 // incoming label of an LSP; 0 for IP routes (it fills padding: Key stays 40 bytes)
	Prefix netip.Prefix
}

func (k Key) String() string {
	if k.IsLSP() {
		return fmt.Sprintf("label %d table %d", k.Label, k.Table)
	}
	return fmt.Sprintf("%s table %d", k.Prefix, k.Table)
}

// Path is one nexthop of a unicast route, in Linux terms: the gateway (may be
// the zero Addr for an interface-only route) and the Linux ifindex of the
// outgoing interface in the dataplane namespace (0 when the daemon gave none).
// Weight is the relative share of traffic; 1 means equal cost. Labels is
// the MPLS label stack the path pushes (IP routes) or swaps the incoming
// label for (LSPs, where no labels means pop); see label.go.
type Path struct {
	Gateway netip.Addr
	Ifindex uint32
	Weight  uint32
	Labels  Labels
}

func (p Path) String() string {
	var b strings.Builder
	if p.Gateway.IsValid() {
		b.WriteString("via " + p.Gateway.String())
	}
	if p.Ifindex != 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "ifindex %d", p.Ifindex)
	}
	if p.Weight > 1 {
		fmt.Fprintf(&b, " weight %d", p.Weight)
	}
	if p.Labels.Len() > 0 {
		fmt.Fprintf(&b, " label %s", p.Labels)
	}
	return b.String()
}

// Route is the desired forwarding state for one Key.
type Route struct {
	Key
	Kind     Kind
	Source   Source
	Protocol uint8 // rtm_protocol as the daemon sent it (2 kernel, 186 bgp, 196 static, ...)
	// NexthopID is the daemon's id of the nexthop (group) the route was
	// resolved through (zebra's RTA_NH_ID), 0 when none. It is not
	// forwarding state: the rib keeps it for the source's RoutesByNexthop,
	// Equal ignores it, and routes the rib hands out leave it 0.
	NexthopID uint32
	Paths     []Path
}

// Equal reports whether two routes ask the dataplane for the same forwarding.
// Paths are compared as a set, so the order a daemon lists them in does not
// matter.
func (r Route) Equal(o Route) bool {
	if r.Key != o.Key || r.Kind != o.Kind || len(r.Paths) != len(o.Paths) {
		return false
	}
	a, b := SortedPaths(r.Paths), SortedPaths(o.Paths)
	return slices.Equal(a, b)
}

func (r Route) String() string {
	if r.Kind != Unicast {
		return fmt.Sprintf("%s %s", r.Key, r.Kind)
	}
	ps := make([]string, len(r.Paths))
	for i, p := range r.Paths {
		ps[i] = p.String()
	}
	return fmt.Sprintf("%s %s", r.Key, strings.Join(ps, ", "))
}

// SortedPaths returns a sorted copy of ps, the canonical order for comparing
// path sets.
func SortedPaths(ps []Path) []Path {
	out := slices.Clone(ps)
	slices.SortFunc(out, ComparePaths)
	return out
}

// ComparePaths orders paths by gateway, ifindex, weight, then labels.
func ComparePaths(a, b Path) int {
	if c := a.Gateway.Compare(b.Gateway); c != 0 {
		return c
	}
	if a.Ifindex != b.Ifindex {
		if a.Ifindex < b.Ifindex {
			return -1
		}
		return 1
	}
	switch {
	case a.Weight < b.Weight:
		return -1
	case a.Weight > b.Weight:
		return 1
	}
	return CompareLabels(a.Labels, b.Labels)
}
