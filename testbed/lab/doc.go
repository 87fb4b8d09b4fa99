// Package lab builds a small router lab out of real components for tests
// and the demo: a "router" network namespace with veth links to a "peer"
// namespace, FRR's zebra (with the dplane_fpm_nl module) and staticd running
// in the router namespace, vtysh to configure them, and zebra's own view of
// its selected routes parsed from `show ip route json`.
//
// It is test equipment: it shells out to ip(8) and FRR's binaries, needs
// root, and never runs inside product code.
package lab
