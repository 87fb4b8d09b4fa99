package sim

import (
	"fmt"
	"net/netip"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/interface_types"
)

// Interface state that clients change: admin state, MTUs, VLAN
// sub-interfaces, after src/vnet/interface.c, interface_api.c and
// ethernet/interface.c.

// hw returns the interface's hardware interface: its parent for a
// sub-interface, itself otherwise.
func (v *vpp) hw(i *iface) *iface {
	if i.sub {
		if p := v.iface(i.sup); p != nil {
			return p
		}
	}
	return i
}

// setAdmin is sw_interface_set_flags: admin up or down. In the sim a
// hardware interface's link follows its admin state (a real NIC's would
// follow the cable). Changes are logged and sent as interface events.
func (v *vpp) setAdmin(s *Server, i *iface, up bool) {
	if i.adminUp == up {
		return
	}
	i.adminUp = up
	kind := ChangeAdminDown
	if up {
		kind = ChangeAdminUp
	}
	v.log.iface(kind, i.swIfIndex)
	hardware := !i.sub && i.swIfIndex != 0
	if hardware {
		i.linkUp = up // the link follows
	}
	// One event with both flags, where VPP sends one for the admin
	// change and one for the link's.
	v.ifEvent(s, i, false)
	if !hardware {
		return
	}
	// Its sub-interfaces see the link change.
	for _, sub := range i.subs {
		if si := v.iface(sub); si != nil {
			v.ifEvent(s, si, false)
		}
	}
}

// setProtocolMTU is vnet_sw_interface_set_protocol_mtu: the four MTUs
// (L3, IPv4, IPv6, MPLS) are stored as given; 0 means "the L3 MTU" to
// the forwarding path but is shown as 0.
func (v *vpp) setProtocolMTU(i *iface, mtu [4]uint32) {
	if i.mtu == mtu {
		return
	}
	i.mtu = mtu
	v.logMTU(i)
}

// setHwMTU is hw_interface_set_mtu: the link MTU of a hardware interface
// and the L3 MTU of it and its sub-interfaces. Only hardware interfaces
// have one (-7 otherwise); local0 is not Ethernet (-30).
func (v *vpp) setHwMTU(i *iface, mtu uint16) api.VPPApiError {
	switch {
	case i.sub:
		return api.INVALID_VALUE
	case !i.hasMAC:
		return api.FEATURE_DISABLED
	}
	set := func(x *iface) {
		if x.mtu[0] != uint32(mtu) || (x == i && i.linkMTU != mtu) {
			x.mtu[0] = uint32(mtu)
			if x == i {
				i.linkMTU = mtu
			}
			v.logMTU(x)
		}
	}
	set(i)
	for _, sub := range i.subs {
		if si := v.iface(sub); si != nil {
			set(si)
		}
	}
	return 0
}

func (v *vpp) logMTU(i *iface) {
	if v.log == nil {
		return
	}
	detail := fmt.Sprintf("%d %d/%d/%d/%d", v.hw(i).linkMTU, i.mtu[0], i.mtu[1], i.mtu[2], i.mtu[3])
	v.log.ifaceDetail(ChangeMTU, i.swIfIndex, netip.Prefix{}, detail)
}

// newSwIfIndex returns the sw_if_index for a new interface: the most
// recently freed one, as VPP's pool does, or the next.
func (v *vpp) newSwIfIndex() uint32 {
	if n := len(v.ifFree); n > 0 {
		idx := v.ifFree[n-1]
		v.ifFree = v.ifFree[:n-1]
		return idx
	}
	v.ifaces = append(v.ifaces, nil)
	return uint32(len(v.ifaces) - 1)
}

// insert adds a created interface at its index and logs it.
func (v *vpp) insert(i *iface) {
	v.ifaces[i.swIfIndex] = i
	v.ifNames[i.name] = i.swIfIndex
	v.log.ifaceDetail(ChangeIfAdd, i.swIfIndex, netip.Prefix{}, i.name)
}

// createSubif is create_vlan_subif (dot1q, exact match, sub id = vlan)
// and create_subif with one tag: VPP's checks in its order, then the
// interface "<parent>.<sub id>", admin down, with the parent's L3 MTU.
func (v *vpp) createSubif(parent *iface, subID uint32, vlan uint32, flags interface_types.SubIfFlags) (uint32, api.VPPApiError) {
	hw := v.hw(parent)
	if vlan == 0 || vlan > 4095 {
		return noIndex, api.INVALID_VLAN
	}
	if _, dup := hw.subs[subID]; dup {
		return noIndex, api.VLAN_ALREADY_EXISTS
	}
	name := fmt.Sprintf("%s.%d", hw.name, subID)
	if _, dup := v.ifNames[name]; dup || len(name) > maxInterfaceName {
		return noIndex, api.INVALID_REGISTRATION
	}
	idx := v.newSwIfIndex()
	si := &iface{
		swIfIndex: idx,
		name:      name,
		devType:   hw.devType,
		mtu:       [4]uint32{hw.mtu[0], 0, 0, 0},
		sub:       true,
		sup:       hw.swIfIndex,
		subID:     subID,
		vlan:      uint16(vlan),
		subFlags:  flags,
		tapOf:     noIndex,
	}
	if hw.subs == nil {
		hw.subs = make(map[uint32]uint32)
	}
	hw.subs[subID] = idx
	v.insert(si)
	return idx, 0
}

// deleteSubif is vnet_delete_sub_interface: -2 for an index that is not
// an interface, -98 for one that is not a sub-interface.
func (v *vpp) deleteSubif(s *Server, idx uint32) api.VPPApiError {
	i := v.iface(idx)
	switch {
	case i == nil:
		return api.INVALID_SW_IF_INDEX
	case !i.sub:
		return api.INVALID_SUB_SW_IF_INDEX
	}
	v.deleteIface(s, i)
	return 0
}

// deleteIface is vnet_delete_sw_interface: a linux-cp pair on it goes
// first (as lcp_itf_interface_add_del does), then its neighbours and
// addresses; registrations are told it is deleted, and the index is free
// for reuse.
func (v *vpp) deleteIface(s *Server, i *iface) {
	if p := v.lcp.byPhy[i.swIfIndex]; p != nil {
		v.pairDelete(s, p)
	}
	if i.adminUp {
		i.adminUp = false
		v.log.iface(ChangeAdminDown, i.swIfIndex)
	}
	v.flushNeighbors(i)
	v.flushAddresses(i)
	if i.sub {
		if hw := v.iface(i.sup); hw != nil {
			delete(hw.subs, i.subID)
		}
	}
	v.ifEvent(s, i, true)
	v.ifaces[i.swIfIndex] = nil
	delete(v.ifNames, i.name)
	v.ifFree = append(v.ifFree, i.swIfIndex)
	v.log.ifaceDetail(ChangeIfDelete, i.swIfIndex, netip.Prefix{}, i.name)
}
