package pairing

import (
	"cmp"
	"context"
	"net"
	"net/netip"
	"slices"
)

// Neighbor is one ARP/ND entry the Watcher mirrored onto a VPP interface.
type Neighbor struct {
	SwIfIndex uint32
	VPP       string // VPP interface name, empty if the pair is gone
	Linux     string // Linux interface name
	IP        netip.Addr
	MAC       string
	Static    bool // PERMANENT in Linux
}

// Neighbors returns the neighbours VPP holds on paired interfaces as far
// as the Watcher applied them, sorted by interface then address. It asks
// Run's goroutine, so it waits until ctx is done if Run is not running.
func (w *Watcher) Neighbors(ctx context.Context) ([]Neighbor, error) {
	reply := make(chan []Neighbor, 1)
	q := func() {
		names := map[uint32]PairInfo{}
		for _, p := range w.table.Load().list {
			names[p.SwIfIndex] = p
		}
		var out []Neighbor
		for sw, a := range w.applied {
			for ip, n := range a.Neighs {
				out = append(out, Neighbor{SwIfIndex: sw, VPP: names[sw].VPP, Linux: names[sw].Linux,
					IP: ip, MAC: net.HardwareAddr(n.MAC[:]).String(), Static: n.Static})
			}
		}
		slices.SortFunc(out, func(a, b Neighbor) int {
			return cmp.Or(cmp.Compare(a.SwIfIndex, b.SwIfIndex), a.IP.Compare(b.IP))
		})
		reply <- out
	}
	select {
	case w.query <- q:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case out := <-reply:
		return out, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
