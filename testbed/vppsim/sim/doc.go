// Package sim is vppsim's engine: a stand-in for FD.io VPP 25.10 that
// serves VPP's binary API on a unix socket, byte for byte as VPP does, so
// GoVPP's adapter/socketclient and core.Connect talk to it unchanged.
//
// It owns:
//   - the transport: the socket, one goroutine per client, the 16-byte
//     framing, the sockclnt_create handshake and its message table;
//   - the VPP state those clients change: the registration pool (client
//     indexes), the interfaces (local0 at sw_if_index 0 and those added
//     with AddInterface) and the IPv4/IPv6 FIB tables with their entries,
//     sources and paths, modelled on src/vnet/fib (special entries in every
//     table, source priorities, path-list semantics, recursive-resolution
//     host entries). One mutex, like VPP's main thread, serialises every
//     request against that state; requests from one client are handled in
//     arrival order.
//
// Messages are decoded and replies encoded with GoVPP's generated bindings.
// Only implemented messages are advertised in the message table, so a
// client looking up anything else finds it missing, as with a VPP that
// lacks the plugin. See handlers.go for the list.
//
// It must not: be imported by product code (it is test equipment, product
// code only ever sees a VPP socket); keep package-level mutable state;
// crash on anything a client sends (a malformed message closes that client
// only); hold the state lock while writing to a socket.
//
// The state is laid out so later work can add interface addresses,
// neighbours, linux-cp pairs, a per-message delay, a restart (drop every
// client, lose all state, new pid) and a change log without reshaping it:
// everything VPP would lose on restart lives in one vpp value.
package sim
