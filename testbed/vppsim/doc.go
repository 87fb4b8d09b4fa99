// Command vppsim runs a simulated FD.io VPP 25.10 that serves VPP's binary
// API on a unix socket, for tests and development without a real VPP:
//
//	go run ./testbed/vppsim -socket /tmp/vpp/api.sock -interface eth0,eth1 -delay 5us
//
// With -pair eth0=e0 it also creates linux-cp pairs at start, each with a
// real Linux TAP (root needed), in the namespace -netns names (linux-cp's
// default netns) or in its own:
//
//	vppsim -interface eth0 -netns dataplane -pair eth0=e0
//
// SIGHUP restarts the simulated VPP: clients are dropped, state is lost
// (the TAPs of pairs clients made disappear), the interfaces and the
// -pair pairs come back and control_ping reports a new pid.
//
// It owns only flag parsing, logging setup and signal handling; the
// simulation itself is package sim. It must not be shipped or started by
// product code.
package main
