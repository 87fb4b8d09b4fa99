package zebra

import (
	"bufio"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
)

// A txtFrame is one frame as the human decode (.txt) of a capture
// describes it.
type txtFrame struct {
	line  int    // line of the frame in the .txt
	conn  uint32 // connection number
	len   int    // FPM length
	raw   []byte // the hex: line, whole frame
	msgs  []Message
	step  string // the last MARK STEP before the frame
	index int    // position among the frames
}

// txtCapture is a parsed .txt file.
type txtCapture struct {
	frames []txtFrame
	steps  []string // MARK STEP names in order
	// stepStart maps a MARK STEP to the index of the first frame after it.
	stepStart map[string]int
}

var (
	reFrame   = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d+ conn=(\d+) FPM ver=1 type=1\(netlink\) len=(\d+)$`)
	reHex     = regexp.MustCompile(`^  hex: ([0-9a-f]+)$`)
	reNlmsg   = regexp.MustCompile(`^  nlmsg len=(\d+) type=(\d+)\(\w+\) flags=0x([0-9a-f]+)\([\w|]+\) seq=(\d+) pid=(\d+)$`)
	reRtmsg   = regexp.MustCompile(`^    rtmsg family=(\d+)\(\w+\) dst_len=(\d+) src_len=(\d+) tos=(\d+) table=(\d+) protocol=(\d+)\(\w+\) scope=(\d+) type=(\d+)\(\w+\) flags=0x([0-9a-f]+)$`)
	reNhmsg   = regexp.MustCompile(`^    nhmsg family=(\d+)\(\w+\) scope=(\d+) protocol=(\d+)\(\w+\) flags=0x([0-9a-f]+)$`)
	reAttr    = regexp.MustCompile(`^    (RTA_\w+|NHA_\w+\(\d+\))=(.*)$`)
	reMP      = regexp.MustCompile(`^    RTA_MULTIPATH \((\d+) bytes\)$`)
	reRtnh    = regexp.MustCompile(`^      rtnexthop len=(\d+) flags=0x([0-9a-f]+) hops\(weight-1\)=(\d+) ifindex=(\d+)$`)
	reRtnhGW  = regexp.MustCompile(`^        RTA_GATEWAY=(\S+)$`)
	reGroup   = regexp.MustCompile(`\{id=(\d+) weight=(\d+)\}`)
	reMark    = regexp.MustCompile(`^### \S+ MARK STEP (.*)$`)
	reConnect = regexp.MustCompile(`^### \S+ (CONNECT|DISCONNECT) `)
)

// parseTxt reads a capture's .txt decode. Any line it does not understand
// fails the test, so that nothing the decode describes is silently
// ignored.
func parseTxt(t *testing.T, name string) txtCapture {
	t.Helper()
	f, err := os.Open(filepath.Join(captureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	c := txtCapture{stepStart: map[string]int{}}
	var (
		step   string
		fr     *txtFrame
		msg    *Message
		mpLeft int // bytes of RTA_MULTIPATH not yet described
	)
	num := func(s string) uint64 {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return n
	}
	hexNum := func(s string) uint64 {
		n, err := strconv.ParseUint(s, 16, 32)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return n
	}
	ip := func(s string) netip.Addr {
		a, err := netip.ParseAddr(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return a
	}
	flush := func() {
		if fr != nil {
			fr.index = len(c.frames)
			c.frames = append(c.frames, *fr)
		}
		fr, msg = nil, nil
	}

	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		bad := func() { t.Fatalf("%s:%d: cannot parse %q", name, ln, line) }
		if m := reMark.FindStringSubmatch(line); m != nil {
			flush()
			step = m[1]
			c.steps = append(c.steps, step)
			c.stepStart[step] = len(c.frames)
			continue
		}
		if reConnect.MatchString(line) {
			flush()
			continue
		}
		if m := reFrame.FindStringSubmatch(line); m != nil {
			flush()
			fr = &txtFrame{line: ln, conn: uint32(num(m[1])), len: int(num(m[2])), step: step}
			continue
		}
		if fr == nil {
			bad()
		}
		if m := reHex.FindStringSubmatch(line); m != nil {
			if fr.raw, err = hex.DecodeString(m[1]); err != nil {
				bad()
			}
			continue
		}
		if m := reNlmsg.FindStringSubmatch(line); m != nil {
			fr.msgs = append(fr.msgs, Message{Header: netlink.Header{
				Length:   uint32(num(m[1])),
				Type:     netlink.HeaderType(num(m[2])),
				Flags:    netlink.HeaderFlags(hexNum(m[3])),
				Sequence: uint32(num(m[4])),
				PID:      uint32(num(m[5])),
			}})
			msg = &fr.msgs[len(fr.msgs)-1]
			mpLeft = 0
			continue
		}
		if msg == nil {
			bad()
		}
		if m := reRtmsg.FindStringSubmatch(line); m != nil {
			msg.Route = &RouteMessage{
				Family: uint8(num(m[1])), DstLength: uint8(num(m[2])), SrcLength: uint8(num(m[3])),
				Tos: uint8(num(m[4])), Table: uint8(num(m[5])), Protocol: uint8(num(m[6])),
				Scope: uint8(num(m[7])), Type: uint8(num(m[8])), Flags: uint32(hexNum(m[9])),
			}
			continue
		}
		if m := reNhmsg.FindStringSubmatch(line); m != nil {
			msg.Nexthop = &NexthopMessage{
				Family: uint8(num(m[1])), Scope: uint8(num(m[2])), Protocol: uint8(num(m[3])),
				Flags: uint32(hexNum(m[4])),
			}
			continue
		}
		if m := reMP.FindStringSubmatch(line); m != nil && msg.Route != nil {
			mpLeft = int(num(m[1]))
			msg.Route.Attributes.Multipath = []NextHop{}
			continue
		}
		if m := reRtnh.FindStringSubmatch(line); m != nil && msg.Route != nil && mpLeft > 0 {
			msg.Route.Attributes.Multipath = append(msg.Route.Attributes.Multipath, NextHop{
				Flags: uint8(hexNum(m[2])), Hops: uint8(num(m[3])), Ifindex: uint32(num(m[4])),
			})
			mpLeft -= int(num(m[1]))
			continue
		}
		if m := reRtnhGW.FindStringSubmatch(line); m != nil && msg.Route != nil && len(msg.Route.Attributes.Multipath) > 0 {
			mp := msg.Route.Attributes.Multipath
			mp[len(mp)-1].Gateway = ip(m[1])
			continue
		}
		m := reAttr.FindStringSubmatch(line)
		if m == nil {
			bad()
		}
		switch key, val := m[1], m[2]; {
		case msg.Route != nil && strings.HasPrefix(key, "RTA_"):
			a := &msg.Route.Attributes
			switch key {
			case "RTA_DST":
				a.Dst = ip(val)
			case "RTA_GATEWAY":
				a.Gateway = ip(val)
			case "RTA_OIF":
				a.OutIface = uint32(num(val))
			case "RTA_PRIORITY":
				a.Priority = uint32(num(val))
			case "RTA_TABLE":
				a.Table = uint32(num(val))
			case "RTA_NH_ID":
				a.NexthopID = uint32(num(val))
			default:
				bad()
			}
		case msg.Nexthop != nil && strings.HasPrefix(key, "NHA_"):
			a := &msg.Nexthop.Attributes
			switch key {
			case "NHA_ID(1)":
				a.ID = uint32(num(val))
			case "NHA_GATEWAY(6)":
				a.Gateway = ip(val)
			case "NHA_OIF(5)":
				a.OutIface = uint32(num(val))
			case "NHA_BLACKHOLE(4)":
				if strings.TrimSpace(val) != "hex" {
					bad()
				}
				a.Blackhole = true
			case "NHA_GROUP(2)":
				for _, g := range reGroup.FindAllStringSubmatch(val, -1) {
					a.Group = append(a.Group, GroupMember{ID: uint32(num(g[1])), Weight: uint8(num(g[2]))})
				}
				if len(a.Group) == 0 {
					bad()
				}
			default:
				bad()
			}
		default:
			bad()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	flush()
	for i := range c.frames {
		// A zero-value attribute with no entries reads back as nil.
		for _, m := range c.frames[i].msgs {
			if m.Route != nil && len(m.Route.Attributes.Multipath) == 0 {
				m.Route.Attributes.Multipath = nil
			}
		}
	}
	return c
}
