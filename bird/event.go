package bird

import (
	"fmt"
	"net/netip"

	api "github.com/osrg/gobgp/v3/api"
)

// event is what crosses from GoBGP's watch goroutine to the bridge's
// loop: a session state change, or a batch of decoded paths.
type event struct {
	peer  *api.Peer // a state change
	paths []item
}

// item is one decoded path, or an End-of-RIB marker.
type item struct {
	peer *peer  // nil: not a configured peer
	from string // the sender's address as GoBGP gave it
	eor  family // non-zero: End-of-RIB for this family
	rc   received
	err  error
}

// decoder turns GoBGP's watch events into events. It runs in GoBGP's
// watch goroutine and only reads byAddr, which is not changed once the
// watch has started.
type decoder struct {
	byAddr map[netip.Addr]*peer
	asn    uint32
	lastIP string
	last   *peer
}

func (d *decoder) event(ev *api.WatchEventResponse) event {
	switch e := ev.Event.(type) {
	case *api.WatchEventResponse_Peer:
		if e.Peer.GetType() == api.WatchEventResponse_PeerEvent_STATE {
			return event{peer: e.Peer.GetPeer()}
		}
	case *api.WatchEventResponse_Table:
		paths := e.Table.GetPaths()
		out := make([]item, len(paths))
		for i, ap := range paths {
			out[i] = d.item(ap)
		}
		return event{paths: out}
	}
	return event{}
}

func (d *decoder) item(ap *api.Path) item {
	it := item{from: ap.GetNeighborIp()}
	if it.from != d.lastIP || d.last == nil {
		d.lastIP, d.last = it.from, d.byAddr[parseAddr(it.from)]
	}
	it.peer = d.last
	v6 := ap.GetFamily().GetAfi() == api.Family_AFI_IP6
	if ap.GetNlri() == nil { // End-of-RIB
		it.eor = ipv4
		if v6 {
			it.eor = ipv6
		}
		return it
	}
	it.rc, it.err = decode(ap, d.asn)
	if it.err == nil && it.rc.prefix.Addr().Is6() != v6 {
		it.err = fmt.Errorf("prefix %s in the %v family", it.rc.prefix, ap.GetFamily().GetAfi())
	}
	return it
}

// parseAddr parses an address GoBGP prints; the zero Addr if it is none.
func parseAddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a.Unmap()
}
