package sim

import (
	"fmt"

	"go.fd.io/govpp/binapi/lcp"
)

// linux-cp start-up configuration: what startup.conf's "linux-cp {
// default netns NAME }" and "lcp create" in a startup exec script do. Like
// AddInterface, it is applied again by every Restart.

// WithDefaultNetns sets linux-cp's start-up default namespace (a name
// under /run/netns): pairs that name none are created there.
// lcp_default_ns_set changes it until the next restart.
func WithDefaultNetns(name string) Option {
	return func(c *config) { c.defaultNS = name }
}

// Pair describes a linux-cp pair to create with Server.AddPair.
type Pair struct {
	// Phy is the VPP interface's name.
	Phy string
	// HostName is the Linux interface's name.
	HostName string
	// TUN makes a TUN device instead of a TAP.
	TUN bool
	// Netns is the namespace; "" means the default.
	Netns string
}

// AddPair creates a linux-cp pair as "lcp create" does, with its Linux TAP,
// and returns the sw_if_index of its VPP tap. The pair is part of the
// start-up configuration: Restart creates it again.
func (s *Server) AddPair(p Pair) (uint32, error) {
	s.mu.Lock()
	host, err := s.vpp.addStartupPair(s, p)
	if err == nil {
		s.pairs = append(s.pairs, p)
	}
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	s.log.Info("linux-cp pair created", keyName, p.HostName, keyIfIndex, host)
	return host, nil
}

func (v *vpp) addStartupPair(s *Server, p Pair) (uint32, error) {
	phy, ok := v.ifNames[p.Phy]
	if !ok {
		return 0, fmt.Errorf("linux-cp pair %s: no interface %q", p.HostName, p.Phy)
	}
	typ := lcp.LCP_API_ITF_HOST_TAP
	if p.TUN {
		typ = lcp.LCP_API_ITF_HOST_TUN
	}
	host, rv := v.pairAdd(s, phy, p.HostName, typ, p.Netns)
	if rv != 0 {
		return 0, fmt.Errorf("linux-cp pair %s on %s: %w", p.HostName, p.Phy, rv)
	}
	return host, nil
}
