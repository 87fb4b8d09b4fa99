package sim_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_types"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// rpcTimeout bounds every call a test makes.
const rpcTimeout = 10 * time.Second

// startSim serves a fresh vppsim with the given interfaces in a temporary
// directory until the test ends.
func startSim(tb testing.TB, ifnames ...string) *sim.Server {
	tb.Helper()
	return startSimWith(tb, nil, ifnames...)
}

// startSimWith is startSim with options.
func startSimWith(tb testing.TB, opts []sim.Option, ifnames ...string) *sim.Server {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "api.sock")
	log := slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := sim.Listen(path, append([]sim.Option{sim.WithLogger(log)}, opts...)...)
	if err != nil {
		tb.Fatalf("Listen: %v", err)
	}
	for _, name := range ifnames {
		if _, err := srv.AddInterface(sim.Interface{Name: name}); err != nil {
			tb.Fatalf("AddInterface(%q): %v", name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return srv
}

// connect connects GoVPP's real socket client to the sim.
func connect(tb testing.TB, srv *sim.Server) *core.Connection {
	tb.Helper()
	conn, err := core.Connect(socketclient.NewVppClient(srv.SocketPath()))
	if err != nil {
		tb.Fatalf("core.Connect: %v", err)
	}
	tb.Cleanup(conn.Disconnect)
	return conn
}

// startAndConnect is startSim followed by connect.
func startAndConnect(tb testing.TB, ifnames ...string) (*sim.Server, *core.Connection) {
	tb.Helper()
	srv := startSim(tb, ifnames...)
	return srv, connect(tb, srv)
}

func ctxFor(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	tb.Cleanup(cancel)
	return ctx
}

// drain reads a GoVPP dump stream to its end.
func drain[T any](tb testing.TB, recv func() (T, error)) []T {
	tb.Helper()
	var out []T
	for {
		m, err := recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatalf("dump: %v", err)
		}
		out = append(out, m)
	}
}

// route is an entry as ip_route_v2_dump shows it.
type route struct {
	Prefix string // as VPP returns it, host bits included
	Src    sim.Source
	Paths  []fib_types.FibPath
}

// dumpRoutes dumps a table with ip_route_v2_dump (src 0: every entry),
// keyed by masked prefix.
func dumpRoutes(tb testing.TB, conn api.Connection, ip6 bool, table uint32, src sim.Source) map[string]route {
	tb.Helper()
	st, err := ip.NewServiceClient(conn).IPRouteV2Dump(ctxFor(tb), &ip.IPRouteV2Dump{
		Src:   uint8(src),
		Table: ip.IPTable{TableID: table, IsIP6: ip6},
	})
	if err != nil {
		tb.Fatalf("IPRouteV2Dump: %v", err)
	}
	out := make(map[string]route)
	for _, d := range drain(tb, st.Recv) {
		p := prefixOf(d.Route.Prefix)
		if d.Route.TableID != table {
			tb.Errorf("%s: table_id %d, want %d", p, d.Route.TableID, table)
		}
		if int(d.Route.NPaths) != len(d.Route.Paths) {
			tb.Errorf("%s: n_paths %d with %d paths", p, d.Route.NPaths, len(d.Route.Paths))
		}
		key := p.Masked().String()
		if _, dup := out[key]; dup {
			tb.Errorf("%s dumped twice", key)
		}
		out[key] = route{Prefix: p.String(), Src: sim.Source(d.Route.Src), Paths: d.Route.Paths}
	}
	return out
}

// prefixOf converts an API prefix without masking it.
func prefixOf(p ip_types.Prefix) netip.Prefix {
	u := p.Address.Un.XXX_UnionData
	if p.Address.Af == ip_types.ADDRESS_IP6 {
		return netip.PrefixFrom(netip.AddrFrom16(u), int(p.Len))
	}
	return netip.PrefixFrom(netip.AddrFrom4([4]byte(u[:4])), int(p.Len))
}

// apiPrefix converts "a.b.c.d/n" (host bits allowed) to an API prefix.
func apiPrefix(tb testing.TB, s string) ip_types.Prefix {
	tb.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		tb.Fatalf("bad prefix %q: %v", s, err)
	}
	out := ip_types.Prefix{Len: uint8(p.Bits())}
	if p.Addr().Is4() {
		a := p.Addr().As4()
		copy(out.Address.Un.XXX_UnionData[:], a[:])
	} else {
		out.Address.Af = ip_types.ADDRESS_IP6
		out.Address.Un.XXX_UnionData = p.Addr().As16()
	}
	return out
}

// nh returns an address union and the next-hop protocol for an address.
func nh(s string) (ip_types.AddressUnion, fib_types.FibPathNhProto) {
	a := netip.MustParseAddr(s)
	var u ip_types.AddressUnion
	if a.Is4() {
		b := a.As4()
		copy(u.XXX_UnionData[:], b[:])
		return u, fib_types.FIB_API_PATH_NH_PROTO_IP4
	}
	u.XXX_UnionData = a.As16()
	return u, fib_types.FIB_API_PATH_NH_PROTO_IP6
}

// via is a normal path through a next hop on an interface; sw_if_index
// ~0 makes it recursive. It is also exactly how VPP dumps such a path.
func via(addr string, swIfIndex uint32) fib_types.FibPath {
	u, proto := nh(addr)
	return fib_types.FibPath{SwIfIndex: swIfIndex, Weight: 1, Proto: proto, Nh: fib_types.FibPathNh{Address: u}}
}

// weighted sets a path's weight and preference.
func weighted(p fib_types.FibPath, weight, preference uint8) fib_types.FibPath {
	p.Weight, p.Preference = weight, preference
	return p
}

// special is a drop, unreachable or prohibit path as VPP dumps it.
func special(t fib_types.FibPathType, proto fib_types.FibPathNhProto) fib_types.FibPath {
	return fib_types.FibPath{SwIfIndex: ^uint32(0), Weight: 1, Type: t, Proto: proto}
}

var (
	drop4 = special(fib_types.FIB_API_PATH_TYPE_DROP, fib_types.FIB_API_PATH_NH_PROTO_IP4)
	drop6 = special(fib_types.FIB_API_PATH_TYPE_DROP, fib_types.FIB_API_PATH_NH_PROTO_IP6)
)

// routeReq builds an ip_route_add_del for table 0.
func routeReq(tb testing.TB, isAdd, isMultipath bool, prefix string, paths ...fib_types.FibPath) *ip.IPRouteAddDel {
	return &ip.IPRouteAddDel{
		IsAdd:       isAdd,
		IsMultipath: isMultipath,
		Route: ip.IPRoute{
			Prefix: apiPrefix(tb, prefix),
			NPaths: uint8(len(paths)),
			Paths:  paths,
		},
	}
}
