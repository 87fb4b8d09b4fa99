package sim

import "net/netip"

// The change log as tests see it. Every method takes the state lock
// briefly; the Change values returned are copies.

// WithChangeLogCap sets how many changes the log keeps (default
// DefaultChangeLogCap); beyond it the oldest are dropped and counted by
// ChangesDropped. 0 keeps none (requests are still counted).
func WithChangeLogCap(n int) Option {
	return func(c *config) { c.logCap = n }
}

// Changes returns every change kept, oldest first.
func (s *Server) Changes() []Change { return s.ChangesSince(0) }

// ChangesSince returns the changes kept whose sequence number is above
// seq, oldest first: pass LastSeq from before an action to get what the
// action changed.
func (s *Server) ChangesSince(seq uint64) []Change {
	return s.findChanges(seq, func(*changeRec) bool { return true })
}

// LastSeq returns the sequence number of the latest change, 0 if none was
// ever made.
func (s *Server) LastSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes.next - 1
}

// ChangesDropped returns how many changes were not kept because the log
// was full (since the last ResetLog). A test asserting that something
// never happened should check it is 0.
func (s *Server) ChangesDropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes.dropped
}

// ChangesOf returns the changes of an IP route: table tableID of p's
// family, p compared masked.
func (s *Server) ChangesOf(tableID uint32, p netip.Prefix) []Change {
	match := ipRouteMatcher(tableID, p)
	return s.findChanges(0, match)
}

// DeletesOf returns the ChangeDelete changes of an IP route: table
// tableID of p's family, p compared masked. Multipath deletes that
// removed some paths but left others are ChangeRemovePath, not deletes.
func (s *Server) DeletesOf(tableID uint32, p netip.Prefix) []Change {
	match := ipRouteMatcher(tableID, p)
	return s.findChanges(0, func(r *changeRec) bool { return r.kind == ChangeDelete && match(r) })
}

// MPLSChangesOf returns the changes of an MPLS route.
func (s *Server) MPLSChangesOf(tableID, label uint32, eos bool) []Change {
	return s.findChanges(0, mplsRouteMatcher(tableID, label, eos))
}

// MPLSDeletesOf returns the ChangeDelete changes of an MPLS route.
func (s *Server) MPLSDeletesOf(tableID, label uint32, eos bool) []Change {
	match := mplsRouteMatcher(tableID, label, eos)
	return s.findChanges(0, func(r *changeRec) bool { return r.kind == ChangeDelete && match(r) })
}

// RequestCounts returns how many requests of each message were handled
// since the last ResetLog, by message name, no-ops and failed requests
// included (control_ping and dumps too). Messages never received are
// absent.
func (s *Server) RequestCounts() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]uint64)
	for id, n := range s.changes.counts {
		if n == 0 {
			continue
		}
		if h := s.table.handler(uint16(id)); h != nil {
			out[h.req.GetMessageName()] = n
		}
	}
	return out
}

// ResetLog forgets the changes and request counts so far, and the
// dropped count, and frees the log's memory (its records and the text of
// every distinct path list it saw). Sequence numbers are not reused.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes.reset()
}

// findChanges returns the changes above seq that match.
func (s *Server) findChanges(seq uint64, match func(*changeRec) bool) []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.changes
	var out []Change
	for i := l.since(seq); i < l.len(); i++ {
		if match(l.nth(i)) {
			out = append(out, l.at(i))
		}
	}
	return out
}

// ipRouteMatcher matches the route changes of one masked IP prefix.
func ipRouteMatcher(tableID uint32, p netip.Prefix) func(*changeRec) bool {
	fam := familyIP4
	if p.Addr().Is6() {
		fam = familyIP6
	}
	key := keyOf(p)
	return func(r *changeRec) bool {
		if r.kind < ChangeAdd || r.kind > ChangeDelete || r.fam != fam || r.table != tableID || r.bits != key.bits {
			return false
		}
		a := netip.AddrFrom16(r.addr)
		if fam == familyIP4 {
			a = a.Unmap()
		}
		return keyOf(netip.PrefixFrom(a, int(r.bits))) == key
	}
}

// mplsRouteMatcher matches the route changes of one MPLS label.
func mplsRouteMatcher(tableID, label uint32, eos bool) func(*changeRec) bool {
	return func(r *changeRec) bool {
		return r.kind >= ChangeAdd && r.kind <= ChangeDelete && r.fam == familyMPLS &&
			r.table == tableID && r.label == label && r.eos == eos
	}
}
