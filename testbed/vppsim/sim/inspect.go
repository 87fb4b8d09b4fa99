package sim

// Read-only views of the state for tests. Tests should check what VPP
// would show through the API (dumps over GoVPP); these are for what the
// API cannot see, or for quick counts.

// RouteCount returns how many entries of table (ip6, tableID) have src
// among their sources, and whether the table exists.
func (s *Server) RouteCount(ip6 bool, tableID uint32, src Source) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.vpp.table(ip6, tableID)
	if t == nil {
		return 0, false
	}
	n := 0
	for _, e := range t.entries {
		if e.source(src) != nil {
			n++
		}
	}
	return n, true
}

// MPLSRouteCount returns how many entries of MPLS table tableID have src
// among their sources, and whether the table exists.
func (s *Server) MPLSRouteCount(tableID uint32, src Source) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.vpp.mplsTable(tableID)
	if t == nil {
		return 0, false
	}
	n := 0
	for _, e := range t.entries {
		if e.source(src) != nil {
			n++
		}
	}
	return n, true
}

// Clients returns how many clients are registered (connected and not yet
// deleted).
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.vpp.regs)
}

// PID returns the pid control_ping_reply reports.
func (s *Server) PID() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vpp.pid
}
