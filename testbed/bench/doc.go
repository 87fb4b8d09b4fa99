// Command bench is lcpfib's full-table benchmark: `go run ./testbed/bench`
// (as root) from the repository's root.
//
// It builds a lab out of the testbed's parts: a network namespace with two
// veth links (package lab), vppsim in the benchmark's process (package sim) or a
// real VPP behind -vpp-socket, and bin/lcpfib as a subprocess with a
// generated configuration. It then plays zebra on lcpfib's FPM port with a
// generated full table (package fulltable) and measures, in order:
//
//   - the ceiling: the plainest pipelined GoVPP loop adding the same routes
//     into a table of its own, which is deleted afterwards;
//   - the load: from the first FPM byte to the whole table in VPP (the time
//     of vppsim's last change, or of lcpfib's last install notification),
//     and lcpfib's memory (VmHWM, VmRSS, the Go heap from gctrace);
//   - the latency of single route changes (RTM_NEWROUTE moving a /32 probe
//     to another nexthop), one at a time when idle, then interleaved with a
//     second load that sends every route through new nexthops;
//   - a restart: SIGTERM, a new lcpfib, zebra's replay less a few withdrawn
//     routes, the time until lcpfib is back in sync and every route change
//     VPP saw meanwhile (vppsim's change log);
//   - the CPU time of lcpfib, the sender, vppsim and everything else on the
//     machine during each phase.
//
// It prints the results as Markdown, writes them to -out and a plot of
// routes over time to -plot.
//
// It owns only its lab: the namespace (removed on exit and on Ctrl-C), the
// lcpfib processes it starts, a temporary directory. It must not touch
// anything outside loopback and its own namespace, use anything of lcpfib
// but its command line, configuration file, log and FPM port, or make a
// timed assertion: numbers are reported, never judged, except where a
// result is wrong rather than slow (a route missing from VPP, a route
// touched by a restart), which the results flag.
package main
