// Command vppsim runs a simulated FD.io VPP 25.10 that serves VPP's binary
// API on a unix socket, for tests and development without a real VPP:
//
//	go run ./testbed/vppsim -socket /tmp/vpp/api.sock -interface eth0,eth1 -delay 5us
//
// SIGHUP restarts the simulated VPP: clients are dropped, state is lost,
// the interfaces come back and control_ping reports a new pid.
//
// It owns only flag parsing, logging setup and signal handling; the
// simulation itself is package sim. It must not be shipped or started by
// product code.
package main
