package sim

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ethernet_types"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/lcp"
)

// linux-cp: interface pairs, after src/plugins/linux-cp/lcp_interface.c
// (lcp_itf_pair_create, lcp_itf_pair_delete_by_index). A pair links a
// VPP interface (the phy) to a Linux interface: for a hardware interface
// a TAP (TUN for host_if_type tun) that vppsim really creates in the
// pair's namespace, seen in VPP as a new virtio interface "tapN"; for a
// sub-interface a Linux VLAN device on the parent pair's TAP and a VPP
// sub-interface of the parent's tap. The pair's namespace is the one it
// names, else the default set with lcp_default_ns_set, else vppsim's
// own.
//
// Not modelled: lcp-sync (later admin, MTU and address changes are not
// copied to Linux), lcp-auto-subint, the netlink listener (Linux changes
// do not reach VPP), replace_begin/end, ethertype, and the linux-cp punt
// and inject paths.

// hostOps makes the Linux side of pairs. linuxHost does it for real;
// the dispatcher's fuzz test, which must not touch the machine, fakes
// it.
type hostOps interface {
	openTap(cfg hostTapConfig) (*hostTap, uint32, error)
	addVLAN(ns string, parent uint32, vlan uint16, name string, up bool) (uint32, error)
	delLink(ns, name string) error
}

// linuxCP is linux-cp's state in a VPP.
type linuxCP struct {
	defaultNS string
	pairs     []*lcpPair // by pair index; nil marks a free slot
	free      indexPool
	byPhy     map[uint32]*lcpPair
	tapIDs    map[uint32]bool // tap instance ids in use ("tap4096", ...)
}

// firstTapID is linux-cp's auto_id_offset: its taps are tap4096 up.
const firstTapID = 4096

// lcpPair is one lcp_itf_pair_t.
type lcpPair struct {
	index    uint32
	phy      uint32
	host     uint32 // the VPP side: the tap or the tap's sub-interface
	hostName string
	hostType lcp.LcpItfHostType
	netns    string
	vif      uint32 // the Linux ifindex
	tapID    uint32
	tap      *hostTap // nil for a sub-interface's pair
}

// details renders the pair as send_lcp_itf_pair_details does.
func (p *lcpPair) details() *lcp.LcpItfPairDetails {
	return &lcp.LcpItfPairDetails{
		PhySwIfIndex:  ifIndex(p.phy),
		HostSwIfIndex: ifIndex(p.host),
		VifIndex:      p.vif,
		HostIfName:    p.hostName,
		HostIfType:    p.hostType,
		Netns:         p.netns,
	}
}

// validHostName is lcp_validate_if_name: shorter than IFNAMSIZ (16),
// letters, digits and "-_%@:." only. vppsim also refuses an empty name,
// for which the kernel would pick one.
func validHostName(name string) bool {
	if name == "" || len(name) >= 16 {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '%', c == '@', c == ':', c == '.':
		default:
			return false
		}
	}
	return true
}

// pairAdd is lcp_itf_pair_create, its checks in VPP's order: a pair on
// the phy already (-81), an invalid phy (-2), a bad host name (-73), a
// TAP for an interface that is not Ethernet (-73); for a sub-interface,
// no pair on its parent (-2) or a VLAN that cannot be made (-73); for a
// tap, what tap_create_if answers when the namespace cannot be entered
// (-12), the device cannot be created (-13) or configured (-145). It
// returns the host sw_if_index.
func (v *vpp) pairAdd(s *Server, phy uint32, name string, typ lcp.LcpItfHostType, ns string) (uint32, api.VPPApiError) {
	if v.lcp.byPhy[phy] != nil {
		return noIndex, api.VALUE_EXIST
	}
	pi := v.iface(phy)
	if pi == nil {
		return noIndex, api.INVALID_SW_IF_INDEX
	}
	if !validHostName(name) {
		return noIndex, api.INVALID_ARGUMENT
	}
	hw := v.hw(pi)
	if !hw.hasMAC && typ == lcp.LCP_API_ITF_HOST_TAP {
		return noIndex, api.INVALID_ARGUMENT
	}
	if ns == "" {
		ns = v.lcp.defaultNS
	}
	p := &lcpPair{phy: phy, hostName: name, hostType: typ, netns: ns, tapID: noIndex}
	if pi.sub {
		parent := v.lcp.byPhy[pi.sup]
		if parent == nil {
			return noIndex, api.INVALID_SW_IF_INDEX
		}
		vif, err := s.host.addVLAN(ns, parent.vif, pi.vlan, name, pi.adminUp)
		if err != nil {
			s.log.Warn("linux-cp: creating host VLAN", keyName, name, keyErr, err)
			return noIndex, api.INVALID_ARGUMENT
		}
		host, rv := v.createSubif(v.iface(parent.host), pi.subID, uint32(pi.vlan), pi.subFlags)
		if rv != 0 {
			_ = s.host.delLink(ns, name)
			return noIndex, api.INVALID_ARGUMENT
		}
		p.vif, p.host = vif, host
		v.iface(host).adminUp = true
	} else {
		rv := v.createTap(s, p, pi)
		if rv != 0 {
			return noIndex, rv
		}
	}
	p.index = v.lcp.free.get()
	if int(p.index) == len(v.lcp.pairs) {
		v.lcp.pairs = append(v.lcp.pairs, p)
	} else {
		v.lcp.pairs[p.index] = p
	}
	v.lcp.byPhy[phy] = p
	v.log.ifaceDetail(ChangePairAdd, phy, netip.Prefix{}, p.detail())
	return p.host, 0
}

func (p *lcpPair) detail() string {
	return fmt.Sprintf("host %d %s netns %q vif %d", p.host, p.hostName, p.netns, p.vif)
}

// createTap makes the Linux TAP (with the phy's MAC and L3 MTU, up if
// the phy is admin up) and its VPP interface (admin and link up, L3 MTU
// the phy's or 9216).
func (v *vpp) createTap(s *Server, p *lcpPair, phy *iface) api.VPPApiError {
	if s.isStopping() {
		// Close has closed the TAPs already; a request read before it
		// must not leave one behind.
		return api.SYSCALL_ERROR_2
	}
	id := uint32(firstTapID)
	for v.lcp.tapIDs[id] {
		id++
	}
	cfg := hostTapConfig{
		netns: p.netns,
		name:  p.hostName,
		tun:   p.hostType == lcp.LCP_API_ITF_HOST_TUN,
		mtu:   phy.mtu[0],
		up:    phy.adminUp,
	}
	if !cfg.tun {
		cfg.mac = net.HardwareAddr(phy.mac[:])
	}
	tap, vif, err := s.host.openTap(cfg)
	if err != nil {
		s.log.Warn("linux-cp: creating host tap", keyName, p.hostName, keyErr, err)
		var he *hostErr
		if errors.As(err, &he) {
			return he.rv
		}
		return api.SYSCALL_ERROR_3
	}
	mtu := phy.mtu[0]
	if mtu == 0 {
		mtu = 9216 // ETHERNET_MAX_PACKET_BYTES
	}
	idx := v.newSwIfIndex()
	ti := &iface{
		swIfIndex: idx,
		name:      fmt.Sprintf("tap%d", id),
		devType:   "virtio",
		mac:       ethernet_types.MacAddress{0x02, 0xfe, 0, 0, byte(idx >> 8), byte(idx)},
		hasMAC:    !cfg.tun,
		adminUp:   true,
		linkUp:    true,
		linkMTU:   uint16(min(mtu, 0xffff)),
		mtu:       [4]uint32{mtu, 0, 0, 0},
		sup:       idx,
		tapOf:     p.phy,
	}
	v.insert(ti)
	v.log.iface(ChangeAdminUp, idx)
	if v.lcp.tapIDs == nil {
		v.lcp.tapIDs = make(map[uint32]bool)
	}
	v.lcp.tapIDs[id] = true
	p.tap, p.tapID, p.vif, p.host = tap, id, vif, idx
	return 0
}

// pairDeletePhy is lcp_itf_pair_delete: -2 if the phy has no pair.
func (v *vpp) pairDeletePhy(s *Server, phy uint32) api.VPPApiError {
	p := v.lcp.byPhy[phy]
	if p == nil {
		return api.INVALID_SW_IF_INDEX
	}
	v.pairDelete(s, p)
	return 0
}

// pairDelete is lcp_itf_pair_delete_by_index: the pair goes, then its
// host side: a sub-interface's Linux VLAN and VPP sub-interface, or the
// TAP (its descriptor is closed, so Linux removes it) and its VPP tap.
// Pairs of the phy's sub-interfaces, whose host sides hang off this tap,
// go first.
func (v *vpp) pairDelete(s *Server, p *lcpPair) {
	if p.tap != nil {
		if phy := v.iface(p.phy); phy != nil {
			for _, sub := range phy.subs {
				if sp := v.lcp.byPhy[sub]; sp != nil {
					v.pairDelete(s, sp)
				}
			}
		}
	}
	delete(v.lcp.byPhy, p.phy)
	v.lcp.pairs[p.index] = nil
	v.lcp.free.put(p.index)
	v.log.ifaceDetail(ChangePairDelete, p.phy, netip.Prefix{}, p.detail())
	if p.tap == nil {
		if err := s.host.delLink(p.netns, p.hostName); err != nil {
			s.log.Warn("linux-cp: deleting host VLAN", keyName, p.hostName, keyErr, err)
		}
	} else {
		if err := p.tap.close(); err != nil {
			s.log.Warn("linux-cp: closing host tap", keyName, p.hostName, keyErr, err)
		}
		delete(v.lcp.tapIDs, p.tapID)
	}
	if hi := v.iface(p.host); hi != nil {
		v.deleteIface(s, hi)
	}
}

// closeTaps closes every pair's TAP, removing them from Linux, as the
// kernel does when VPP exits. The pairs stay in this (dead) VPP's state.
func (l *linuxCP) closeTaps() []error {
	var errs []error
	for _, p := range l.pairs {
		if p != nil && p.tap != nil {
			if err := p.tap.close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

// ifIndex converts a sw_if_index for the bindings.
func ifIndex(i uint32) interface_types.InterfaceIndex { return interface_types.InterfaceIndex(i) }
