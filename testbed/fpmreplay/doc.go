// Command fpmreplay plays zebra's part of the FPM protocol: it connects to
// an FPM listener (lcpfib, or anything that listens like it) and sends
// either a recording of real FRR (-capture) or a generated Internet table
// (package fulltable), as fast as it can or at a given rate, then prints
// what it sent and how fast the listener took it.
//
//	go run ./testbed/fpmreplay -h
//	go run ./testbed/fpmreplay -capture ../shared/fpm-captures/load.bin.gz
//	go run ./testbed/fpmreplay -v4 1040000 -v6 223000 -withdraw 0.1 -reconnect
//
// A capture is sent frame for frame; each zebra connection it recorded
// gets its own TCP connection (or only one of them with -conn). A
// generated table is sent as zebra sends a fresh table: nexthops first in
// nexthop-group mode, then one route per frame; -withdraw then deletes a
// share of it, and -reconnect replays, on a new connection, what zebra
// would replay after reconnecting.
//
// After the last frame of a connection fpmreplay shuts its sending side
// and waits (-wait) for the listener to close the connection, which an
// fpm.Server does once it has handled every frame: the time until then is
// the listener's throughput, not just the socket buffer's.
//
// fpmreplay owns replaying and timing. It only ever connects to -addr
// (loopback by default) and must not listen, decide what a receiver does
// with the frames, or be imported by the daemon: it is test tooling.
package main
