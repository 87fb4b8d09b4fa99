// Package pairing owns the table of interface pairs: each VPP interface and
// its Linux mirror in the dataplane network namespace. Route nexthops name
// Linux ifindexes; the vpp package resolves them to sw_if_index through this
// table.
//
// Today the pairs are a static list from the configuration (Linux interface
// name -> VPP interface name), resolved through netlink and
// sw_interface_dump on every VPP (re)connect. Discovering and creating
// linux-cp pairs, and mirroring addresses, link state and neighbours, will
// grow here.
//
// It must not program routes.
package pairing
