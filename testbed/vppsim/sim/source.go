package sim

import "strconv"

// Source is a FIB source (VPP's fib_source_t): who added an entry. The
// values are VPP 25.10's static source ids; ip_route_v2_details.src and
// fib_source_details carry them on the wire.
type Source uint8

// The static sources VPP registers at start-up (src/vnet/fib/fib_source.h).
const (
	SourceInvalid      Source = 0
	SourceSpecial      Source = 1
	SourceClassify     Source = 2
	SourceProxy        Source = 3
	SourceInterface    Source = 4
	SourceSR           Source = 5
	SourceBIER         Source = 6
	Source6RD          Source = 7
	SourceAPI          Source = 8
	SourceCLI          Source = 9
	SourceLISP         Source = 10
	SourceMAP          Source = 11
	SourceDHCP         Source = 12
	SourceIP6NDProxy   Source = 13
	SourceIP6ND        Source = 14
	SourceAdjacency    Source = 15
	SourceMPLS         Source = 16
	SourceAE           Source = 17
	SourceRR           Source = 18
	SourceURPFExempt   Source = 19
	SourceDefaultRoute Source = 20
	SourceInterpose    Source = 21
)

// sourceInfo is one fib_source_regs entry: its name and priority class
// (lower is better).
type sourceInfo struct {
	name     string
	priority uint8
}

// sources is indexed by Source, in VPP's registration order, which is also
// the order fib_source_dump walks them.
var sources = [...]sourceInfo{
	SourceInvalid:      {"invalid", 0xff},
	SourceSpecial:      {"special", 0x00},
	SourceClassify:     {"classify", 0x01},
	SourceProxy:        {"proxy", 0x02},
	SourceInterface:    {"interface", 0x03},
	SourceSR:           {"SR", 0x10},
	SourceBIER:         {"BIER", 0x20},
	Source6RD:          {"6RD", 0x30},
	SourceAPI:          {"API", 0x80},
	SourceCLI:          {"CLI", 0x81},
	SourceLISP:         {"LISP", 0x90},
	SourceMAP:          {"MAP", 0xa0},
	SourceDHCP:         {"DHCP", 0xb0},
	SourceIP6NDProxy:   {"IPv6-proxy-nd", 0xc0},
	SourceIP6ND:        {"IPv6-nd", 0xc1},
	SourceAdjacency:    {"adjacency", 0xd0},
	SourceMPLS:         {"mpls", 0xe0},
	SourceAE:           {"attached_export", 0xf0},
	SourceRR:           {"recursive-resolution", 0xfb},
	SourceURPFExempt:   {"urpf-exempt", 0xfc},
	SourceDefaultRoute: {"default-route", 0xfd},
	SourceInterpose:    {"interpose", 0xfe},
}

// String returns VPP's name for the source.
func (s Source) String() string {
	if int(s) < len(sources) {
		return sources[s].name
	}
	return "source-" + strconv.Itoa(int(s))
}

// priority returns the source's priority; unknown sources rank last.
func (s Source) priority() uint8 {
	if int(s) < len(sources) {
		return sources[s].priority
	}
	return 0xff
}

// routable reports whether ip_route_add_del_v2 may add paths under this
// source. VPP does not check (an unregistered id walks off the end of its
// source table); vppsim accepts the registered, real sources.
func (s Source) routable() bool {
	return s != SourceInvalid && s != SourceInterpose && int(s) < len(sources)
}
