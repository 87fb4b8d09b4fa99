package sim

import (
	"net/netip"

	"go.fd.io/govpp/api"
)

// Interface addresses, after ip4_add_del_interface_address_internal
// (src/vnet/ip/ip4_forward.c) and its IPv6 twin. The sim keeps every
// interface in table 0 and does not add the attached and local FIB
// entries VPP derives from an address.

// addrAddDel is sw_interface_add_del_address for one address (host bits
// kept, as VPP stores it). An add that overlaps an address of any
// interface (either prefix containing the other) is -105, unless it is
// another address of the same length on the same interface; the same
// address twice is therefore -105 too. Deleting an address the interface
// does not have (same address and length) is -60.
func (v *vpp) addrAddDel(i *iface, p netip.Prefix, isAdd bool) api.VPPApiError {
	if !isAdd {
		for n, a := range i.addrs {
			if a == p {
				i.addrs = append(i.addrs[:n], i.addrs[n+1:]...)
				v.log.ifaceDetail(ChangeAddrDelete, i.swIfIndex, p, "")
				return 0
			}
		}
		return api.ADDRESS_NOT_FOUND_FOR_INTERFACE
	}
	for _, o := range v.ifaces {
		if o == nil {
			continue
		}
		for _, a := range o.addrs {
			if a.Addr().Is4() != p.Addr().Is4() || !overlaps(a, p) {
				continue
			}
			if o == i && a.Bits() == p.Bits() && a.Addr() != p.Addr() {
				continue // an interface may have several addresses in a prefix
			}
			return api.ADDRESS_IN_USE
		}
	}
	i.addrs = append(i.addrs, p)
	v.log.ifaceDetail(ChangeAddrAdd, i.swIfIndex, p, "")
	return 0
}

// overlaps reports whether either prefix contains the other's address
// (VPP's ip4_destination_matches_route both ways).
func overlaps(a, b netip.Prefix) bool {
	return a.Masked().Contains(b.Addr()) || b.Masked().Contains(a.Addr())
}

// flushAddresses is del_all (ip_del_all_interface_addrs): every address
// goes, each logged.
func (v *vpp) flushAddresses(i *iface) {
	for _, a := range i.addrs {
		v.log.ifaceDetail(ChangeAddrDelete, i.swIfIndex, a, "")
	}
	i.addrs = nil
}
