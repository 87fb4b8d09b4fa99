package zebra

import (
	"fmt"

	"github.com/lcpfib/lcpfib/rib"
)

// Label switched paths: RTM_NEWROUTE / RTM_DELROUTE of family AF_MPLS, as
// zebra's netlink_mpls_multipath_msg_encode writes them. An LSP becomes a
// rib.Route keyed by rib.LSPKey(table, incoming label); each path swaps
// the label for its Labels (RTA_NEWDST), or pops it when there are none.
// zebra sends an LSP change as one RTM_NEWROUTE with NLM_F_REPLACE, never
// in nexthop-group form, and an RTM_DELROUTE that still lists the paths.

// lspKey is the rib key of an MPLS route message: the table (zebra sends
// RT_TABLE_MAIN) and the incoming label of RTA_DST.
func lspKey(rm *RouteMessage) (rib.Key, error) {
	in := rm.Attributes.InLabel
	switch {
	case in == 0:
		return rib.Key{}, fmt.Errorf("%w: no RTA_DST", errInLabel)
	case rm.DstLength != rtmDstLenMPLS:
		return rib.Key{}, fmt.Errorf("%w: rtm_dst_len %d, want %d", errInLabel, rm.DstLength, rtmDstLenMPLS)
	case in.Label() < labelFirstUnreserved:
		return rib.Key{}, fmt.Errorf("%w: label %d is reserved", errInLabel, in.Label())
	}
	return rib.LSPKey(rm.TableID(), in.Label()), nil
}

// newLSP handles the RTM_NEWROUTE of an LSP: it is added or replaced.
func (f *Feed) newLSP(rm *RouteMessage) error {
	key, err := lspKey(rm)
	if err != nil {
		return err
	}
	replace := f.takeFrameDel(key)
	if rm.Type != RouteUnicast {
		f.c.skippedType.Add(1)
		f.withdraw(key, replace)
		return nil
	}
	paths := f.directPaths(rm)
	if len(paths) == 0 {
		f.c.skippedNoNexthop.Add(1)
		f.withdraw(key, replace)
		return nil
	}
	f.set(rib.Route{Key: key, Kind: rib.Unicast, Source: rib.SourceFRR, Protocol: rm.Protocol, Paths: paths}, replace)
	return nil
}

// delLSP handles the RTM_DELROUTE of an LSP. Like a DELROUTE of an IP
// route, it is counted at the end of the frame unless a NEWROUTE for the
// same label follows in the frame.
func (f *Feed) delLSP(rm *RouteMessage) error {
	key, err := lspKey(rm)
	if err != nil {
		return err
	}
	f.batch.del(key)
	f.frameDels = append(f.frameDels, key)
	return nil
}
