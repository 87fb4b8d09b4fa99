package sim

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"go.fd.io/govpp/binapi/ethernet_types"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
)

// Interface describes an interface to create with Server.AddInterface.
// Only Name is required.
type Interface struct {
	// Name is the interface name, unique within the VPP (for example
	// "GigabitEthernet0/8/0" or "tap1").
	Name string
	// DevType is the device class name sw_interface_details reports;
	// default "dpdk".
	DevType string
	// MAC is the Ethernet address; default 02:fe:00:00:HH:LL built from
	// the sw_if_index.
	MAC net.HardwareAddr
	// MTU is the L3 MTU and the link MTU; default 9000 as for VPP's
	// Ethernet interfaces.
	MTU uint32
	// AdminUp and LinkUp set the initial state; VPP creates interfaces
	// admin-down.
	AdminUp, LinkUp bool
	// P2P makes a point-to-point interface (a tunnel, as VPP's ipip or
	// wireguard): no MAC, type IF_API_TYPE_P2P; linux-cp pairs it with a
	// TUN.
	P2P bool
}

// maxInterfaceName is the longest name VPP reports: interface_name is a
// string[64] filled with strncpy of 63 bytes.
const maxInterfaceName = 63

// iface is VPP's vnet_sw_interface_t plus the bits of its hardware
// interface that the API shows. A sub-interface has no hardware of its
// own: its MAC, link state and link MTU are its parent's (see hw).
type iface struct {
	swIfIndex uint32
	name      string
	devType   string
	mac       ethernet_types.MacAddress
	hasMAC    bool // Ethernet interfaces report their MAC, local0 does not
	p2p       bool // point-to-point: reported as IF_API_TYPE_P2P
	adminUp   bool
	linkUp    bool
	linkMTU   uint16
	mtu       [4]uint32 // L3, IPv4, IPv6, MPLS

	// Sub-interfaces (create_vlan_subif, create_subif): sup is the
	// parent's sw_if_index (the interface's own for hardware), subID the
	// sub-interface id, vlan the outer VLAN id and subFlags the
	// sub_if_flags VPP reports.
	sub      bool
	sup      uint32
	subID    uint32
	vlan     uint16
	subFlags interface_types.SubIfFlags
	subs     map[uint32]uint32 // hardware: sub id -> sw_if_index

	// addrs are the interface's addresses in the order they were added
	// (sw_interface_add_del_address); neighbors its ip_neighbor entries.
	addrs     []netip.Prefix
	neighbors map[netip.Addr]*neighbor

	// tapOf is, for a linux-cp tap, the phy sw_if_index of its pair;
	// noIndex otherwise.
	tapOf uint32

	// mplsCount is VPP's per-interface MPLS enable count (a u8): the
	// interface is MPLS-enabled while it is not 0. mplsTable is the MPLS
	// table the first enable locked.
	mplsCount uint8
	mplsTable *mplsTable
}

// addLocal0 creates VPP's local0, always sw_if_index 0 and always down.
func (v *vpp) addLocal0() {
	v.ifaces = append(v.ifaces, &iface{swIfIndex: 0, name: "local0", devType: "local", tapOf: noIndex})
	v.ifNames["local0"] = 0
}

// iface returns the interface with that index, or nil.
func (v *vpp) iface(swIfIndex uint32) *iface {
	if uint64(swIfIndex) >= uint64(len(v.ifaces)) {
		return nil
	}
	return v.ifaces[swIfIndex]
}

// errInterface reports an Interface that cannot be created.
var errInterface = errors.New("invalid interface")

// addInterface creates an interface and returns its sw_if_index.
func (v *vpp) addInterface(in Interface) (uint32, error) {
	switch {
	case in.Name == "":
		return 0, fmt.Errorf("%w: empty name", errInterface)
	case len(in.Name) > maxInterfaceName:
		return 0, fmt.Errorf("%w: name %q longer than %d bytes", errInterface, in.Name, maxInterfaceName)
	case in.MAC != nil && len(in.MAC) != 6:
		return 0, fmt.Errorf("%w: %s: MAC %s is not 6 bytes", errInterface, in.Name, in.MAC)
	}
	if _, dup := v.ifNames[in.Name]; dup {
		return 0, fmt.Errorf("%w: name %q already in use", errInterface, in.Name)
	}
	idx := uint32(len(v.ifaces))
	ifc := &iface{
		swIfIndex: idx,
		name:      in.Name,
		devType:   in.DevType,
		hasMAC:    !in.P2P,
		p2p:       in.P2P,
		adminUp:   in.AdminUp,
		linkUp:    in.LinkUp,
		sup:       idx,
		tapOf:     noIndex,
	}
	if ifc.devType == "" {
		ifc.devType = "dpdk"
	}
	if in.MAC != nil {
		ifc.mac = ethernet_types.NewMacAddress(in.MAC)
	} else {
		ifc.mac = ethernet_types.MacAddress{0x02, 0xfe, 0, 0, byte(idx >> 8), byte(idx)}
	}
	mtu := in.MTU
	if mtu == 0 {
		mtu = 9000
	}
	ifc.mtu = [4]uint32{mtu, 0, 0, 0}
	ifc.linkMTU = uint16(min(mtu, 0xffff))
	v.ifaces = append(v.ifaces, ifc)
	v.ifNames[in.Name] = idx
	return idx, nil
}

// details renders the interface as send_sw_interface_details does;
// hw is the interface's hardware: itself, or a sub-interface's parent.
func (i *iface) details(hw *iface) *interfaces.SwInterfaceDetails {
	d := &interfaces.SwInterfaceDetails{
		SwIfIndex:        interface_types.InterfaceIndex(i.swIfIndex),
		SupSwIfIndex:     i.sup,
		Type:             interface_types.IF_API_TYPE_HARDWARE,
		Flags:            i.flags(hw),
		LinkMtu:          hw.linkMTU,
		Mtu:              i.mtu[:],
		InterfaceName:    i.name,
		InterfaceDevType: hw.devType,
	}
	if i.p2p {
		d.Type = interface_types.IF_API_TYPE_P2P
	}
	if i.sub {
		d.Type = interface_types.IF_API_TYPE_SUB
		d.SubID = i.subID
		d.SubNumberOfTags = 1
		d.SubOuterVlanID = i.vlan
		d.SubIfFlags = i.subFlags
	}
	if hw.hasMAC {
		d.L2Address = hw.mac
	}
	return d
}

// flags are the interface's status flags as the API reports them: its
// own admin state and its hardware's link state.
func (i *iface) flags(hw *iface) interface_types.IfStatusFlags {
	var f interface_types.IfStatusFlags
	if i.adminUp {
		f |= interface_types.IF_STATUS_API_FLAG_ADMIN_UP
	}
	if hw.linkUp {
		f |= interface_types.IF_STATUS_API_FLAG_LINK_UP
	}
	return f
}

// matches is VPP's name filter: a case-insensitive substring match
// (strcasestr).
func (i *iface) matches(filter string) bool {
	return strings.Contains(strings.ToLower(i.name), strings.ToLower(filter))
}
