// Package pairing owns the table of interface pairs: each VPP interface and
// its Linux mirror in the dataplane network namespace. Route nexthops name
// Linux ifindexes; the vpp package resolves them to sw_if_index through this
// table.
//
// Two implementations of vpp.InterfaceSync live here:
//
//   - Static: a fixed list of (Linux name, VPP name) pairs from the
//     configuration, resolved through netlink and sw_interface_dump on every
//     VPP (re)connect. Nothing is mirrored.
//   - Watcher: the linux-cp pair table and the mirror. It discovers the
//     pairs VPP holds (lcp_itf_pair_get), creates the declared ones that are
//     missing (lcp_itf_pair_add_del_v2: a TAP, a TUN for point-to-point
//     interfaces) and declared VLAN sub-interfaces (create_vlan_subif, paired
//     with a Linux VLAN device on the parent's TAP), and follows pairs that
//     appear, disappear or move (VPP restart, Linux interface recreated with
//     a new ifindex). It never deletes a pair. From every paired Linux
//     interface it copies to the VPP twin: admin state and MTU
//     (sw_interface_set_flags, sw_interface_set_mtu), IPv4/IPv6 addresses
//     (sw_interface_add_del_address) and neighbours in a usable state
//     (REACHABLE, STALE, DELAY, PROBE; PERMANENT as static) with
//     ip_neighbor_add_del; FAILED, INCOMPLETE and deleted entries are
//     removed.
//
// Linux is the source of truth for everything mirrored: what VPP holds on a
// paired interface and Linux does not (an address, a neighbour VPP learnt
// itself or someone added) is removed at the next resync, and an admin
// state changed in VPP is put back. IPv6 link-local addresses (fe80::/10)
// are VPP's own (every IPv6 interface has one, and ND needs it): they are
// never added or removed.
//
// The Watcher's design: one goroutine (Run) owns the mirror of the
// namespace, the pair table and what VPP is known to hold. Netlink
// subscriptions (links, addresses, neighbours) are opened first, then the
// namespace is dumped; readers only convert and forward notifications. On
// ENOBUFS or any lost subscription it subscribes again and re-dumps; every
// ReconcileInterval it re-dumps both Linux and VPP (ip_address_dump,
// ip_neighbor_dump) and repairs the difference, so an entry the kernel
// dropped without a notification is dropped from VPP too. Changes are
// merged per key (neighbour, interface) before VPP is called; neighbour
// calls are pipelined. It has its own GoVPP connection, pinged every
// PingInterval; a new vpe_pid means a new VPP: everything is restored from
// Linux's state (linux-cp's TAPs die with VPP, so the restored pairs get
// new TAPs, and Linux's addresses on them are whatever Linux, FRR or the
// operator puts back).
//
// It must not program routes, and must not change Linux.
package pairing
