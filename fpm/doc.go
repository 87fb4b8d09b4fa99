// Package fpm owns FRR's Forwarding Plane Manager wire protocol and the TCP
// server zebra connects to.
//
// zebra (loaded with -M dplane_fpm_nl) connects to 127.0.0.1:2620 and sends a
// stream of frames: a 4-byte header (version 1, type 1 = netlink, a 16-bit
// big-endian total length that includes the header) followed by one or more
// netlink messages. Frame is that framing as a plain value; Reader cuts
// frames out of a byte stream without copying; CaptureReader reads the
// FPMCAP1 recordings kept for tests and replay benchmarks.
//
// Server accepts zebra's connections, one at a time: zebra reconnects every
// 3 s after a loss, and a new connection replaces the old one (the old one
// is closed and its reader has returned before the new one starts), so a
// Handler is never called concurrently. A frame with a bad header resets the
// connection: zebra reconnects and replays everything.
//
// This package must not know what is inside the netlink payload: decoding
// routes and nexthops is package zebra's job, and choosing and programming
// routes belongs to rib and vpp.
package fpm
