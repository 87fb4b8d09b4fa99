package vpp

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
)

// Entry is one FIB entry as VPP's ip_route_v2_dump shows it, for one source.
type Entry struct {
	Table  uint32
	Prefix netip.Prefix // masked
	Source uint8        // FIB source id; see Sources
	Paths  []fib_types.FibPath
}

// DumpRoutes returns the entries of one VPP table and address family.
func DumpRoutes(ctx context.Context, conn api.Connection, table uint32, ip6 bool, timeout time.Duration) ([]Entry, error) {
	var out []Entry
	err := WalkRoutes(ctx, conn, table, ip6, timeout, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// WalkRoutes calls each for every entry of one VPP table and address
// family, as VPP streams them, without collecting them.
func WalkRoutes(ctx context.Context, conn api.Connection, table uint32, ip6 bool, timeout time.Duration, each func(Entry) error) error {
	req := &ip.IPRouteV2Dump{Table: ip.IPTable{TableID: table, IsIP6: ip6}}
	return Dump(ctx, conn, req, timeout, func(m api.Message) error {
		d, ok := m.(*ip.IPRouteV2Details)
		if !ok {
			return fmt.Errorf("ip_route_v2_dump: unexpected %s", m.GetMessageName())
		}
		return each(Entry{Table: d.Route.TableID, Prefix: FromPrefix(d.Route.Prefix), Source: d.Route.Src, Paths: d.Route.Paths})
	})
}

// Sources returns VPP's FIB sources by name ("API", "interface", ...) with
// their ids.
func Sources(ctx context.Context, conn api.Connection, timeout time.Duration) (map[string]uint8, error) {
	out := make(map[string]uint8)
	err := Dump(ctx, conn, &fib.FibSourceDump{}, timeout, func(m api.Message) error {
		d, ok := m.(*fib.FibSourceDetails)
		if !ok {
			return fmt.Errorf("fib_source_dump: unexpected %s", m.GetMessageName())
		}
		out[d.Src.Name] = d.Src.ID
		return nil
	})
	return out, err
}
