// Command vppsim runs a simulated FD.io VPP 25.10 that serves VPP's binary
// API on a unix socket, for tests and development without a real VPP:
//
//	go run ./testbed/vppsim -socket /tmp/vpp/api.sock -interface eth0,eth1
//
// It owns only flag parsing, logging setup and signal handling; the
// simulation itself is package sim. It must not be shipped or started by
// product code.
package main
