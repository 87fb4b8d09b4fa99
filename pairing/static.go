package pairing

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"

	"github.com/lcpfib/lcpfib/vpp"
)

// Pair names one interface pair in the configuration.
type Pair struct {
	Linux string // Linux interface name in the dataplane namespace
	VPP   string // VPP interface name, as in `show interface`
}

// Resolved is a pair with its current indexes; zero when unresolved.
type Resolved struct {
	Pair
	Ifindex   uint32
	SwIfIndex uint32
	Err       string // why it is not resolved, empty when it is
}

// LinkIndex looks up a Linux interface by name in the dataplane namespace.
type LinkIndex func(name string) (uint32, error)

// Static is a fixed list of pairs resolved on every VPP (re)connect.
type Static struct {
	pairs   []Pair
	link    LinkIndex
	timeout time.Duration
	log     *slog.Logger
	table   atomic.Pointer[table]
}

type table struct {
	byIfindex map[uint32]uint32
	resolved  []Resolved
}

// NewStatic returns the static pair table.
func NewStatic(pairs []Pair, link LinkIndex, timeout time.Duration, log *slog.Logger) *Static {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Static{pairs: slices.Clone(pairs), link: link, timeout: timeout, log: log}
	s.table.Store(&table{byIfindex: map[uint32]uint32{}})
	return s
}

// SwIfIndex returns the VPP twin of a Linux ifindex.
func (s *Static) SwIfIndex(ifindex uint32) (uint32, bool) {
	sw, ok := s.table.Load().byIfindex[ifindex]
	return sw, ok
}

// Pairs returns every configured pair and how it resolved.
func (s *Static) Pairs() []Resolved {
	return slices.Clone(s.table.Load().resolved)
}

// Sync resolves every pair against VPP's interfaces and the Linux links.
// A pair that does not resolve is logged and left out (routes through it
// stay out of VPP); only a failing API call is an error.
func (s *Static) Sync(ctx context.Context, conn api.Connection) error {
	swByName := make(map[string]uint32)
	err := vpp.Dump(ctx, conn, &interfaces.SwInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)}, s.timeout, func(m api.Message) error {
		if d, ok := m.(*interfaces.SwInterfaceDetails); ok {
			swByName[d.InterfaceName] = uint32(d.SwIfIndex)
		}
		return nil
	})
	if err != nil {
		return err
	}
	t := &table{byIfindex: make(map[uint32]uint32, len(s.pairs))}
	for _, p := range s.pairs {
		r := Resolved{Pair: p}
		sw, ok := swByName[p.VPP]
		ifindex, lerr := s.link(p.Linux)
		switch {
		case !ok:
			r.Err = fmt.Sprintf("VPP has no interface %q", p.VPP)
		case lerr != nil:
			r.Err = fmt.Sprintf("Linux interface %q: %v", p.Linux, lerr)
		default:
			r.Ifindex, r.SwIfIndex = ifindex, sw
			t.byIfindex[ifindex] = sw
		}
		if r.Err != "" {
			s.log.Warn("interface pair not resolved", "linux", p.Linux, "vpp", p.VPP, "err", r.Err)
		} else {
			s.log.Info("interface pair", "linux", p.Linux, "ifindex", r.Ifindex, "vpp", p.VPP, "sw_if_index", r.SwIfIndex)
		}
		t.resolved = append(t.resolved, r)
	}
	s.table.Store(t)
	return nil
}
