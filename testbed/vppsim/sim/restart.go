package sim

// Restart does what a VPP crash and restart by systemd with the same
// start-up configuration does: every client connection is dropped, all
// state is lost (routes, tables, MPLS, registrations, sub-interfaces,
// addresses, neighbours, linux-cp pairs, whose Linux TAPs disappear) and
// the VPP comes back as Listen created it plus the interfaces AddInterface
// created, with the same names and indexes, and the linux-cp pairs
// AddPair created (new TAPs, so new Linux ifindexes). It has a new pid
// (control_ping_reply's vpe_pid changes); show_version's build does not.
// The socket keeps listening, so clients can reconnect at once; messages
// a client sent before the restart are not answered. A client connecting
// while Restart runs may be dropped too.
//
// The change log and request counts are kept; the restart is logged as a
// ChangeRestart.
func (s *Server) Restart() {
	s.mu.Lock()
	old := s.vpp
	pid := old.pid + 1
	if pid == 0 {
		pid = 1
	}
	// The dead VPP's linux-cp TAPs go with its file descriptors, before
	// the new one creates its start-up pairs' TAPs under the same names.
	for _, err := range old.lcp.closeTaps() {
		s.log.Warn("closing linux-cp tap", keyErr, err)
	}
	s.vpp = s.boot(pid, old.version)
	s.changes.restart()
	s.mu.Unlock()

	s.connMu.Lock()
	n := len(s.conns)
	for c := range s.conns {
		_ = c.nc.Close()
	}
	s.connMu.Unlock()
	s.log.Info("restarted", keyPID, pid, keyClients, n)
}
