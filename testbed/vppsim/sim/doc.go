// Package sim is vppsim's engine: a stand-in for FD.io VPP 25.10 that
// serves VPP's binary API on a unix socket, byte for byte as VPP does, so
// GoVPP's adapter/socketclient and core.Connect talk to it unchanged.
//
// It owns:
//   - the transport: the socket, one goroutine per client, the 16-byte
//     framing, the sockclnt_create handshake and its message table;
//   - the VPP state those clients change: the registration pool (client
//     indexes), the interfaces (local0 at sw_if_index 0, those added with
//     AddInterface, VLAN sub-interfaces, linux-cp taps) with their admin
//     state, MTUs, addresses, neighbours and MPLS enable counts, interface
//     event registrations (events go out through a per-client writer,
//     events.go), linux-cp pairs whose Linux side is a real TAP in the
//     pair's network namespace (lcp.go, hostif_linux.go), the IPv4/IPv6 FIB
//     tables and the MPLS tables with their entries, sources and paths,
//     modelled on src/vnet/fib and src/vnet/mpls (special entries in every
//     table, source priorities, path-list semantics, out-label stacks,
//     recursive-resolution entries, table locks). One mutex, like VPP's
//     main thread, serialises every request against that state (and holds
//     it for the configured delay, WithDelay); requests from one client are
//     handled in arrival order;
//   - Restart: the state replaced by a freshly booted one, every client
//     dropped, a new pid;
//   - the change log (changelog.go): every change clients make to the
//     state, in order, and per-message request counts, for tests.
//
// Messages are decoded and replies encoded with GoVPP's generated bindings.
// Only implemented messages are advertised in the message table, so a
// client looking up anything else finds it missing, as with a VPP that
// lacks the plugin. See handlers.go for the list.
//
// It must not: be imported by product code (it is test equipment, product
// code only ever sees a VPP socket); keep package-level mutable state;
// touch Linux beyond the TAPs (and VLANs) of the pairs clients ask for;
// crash on anything a client sends (a malformed message closes that client
// only); hold the state lock while writing to a socket.
//
// Everything VPP would lose on restart lives in one vpp value. The one
// thing outside the process is a linux-cp pair's TAP: it lives while
// vppsim holds its descriptor, which Restart and Close close, as the
// kernel does when VPP dies. The change log is not VPP state: it is the Server's and outlives a
// restart.
package sim
