package zebra

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRouteMessageUnmarshalBinary(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want RouteMessage
		// lossy: MarshalBinary does not give in back (an attribute
		// with a zero value was present).
		lossy bool
	}{
		{
			name: "nexthop-group mode, IPv4 (cases_nhg 192.0.2.0/24)",
			in: []byte{
				0x02,                   // rtm_family AF_INET
				0x18,                   // rtm_dst_len 24
				0x00,                   // rtm_src_len
				0x00,                   // rtm_tos
				0xfe,                   // rtm_table 254 (main)
				0xc4,                   // rtm_protocol 196 (static)
				0x00,                   // rtm_scope universe
				0x01,                   // rtm_type unicast
				0x00, 0x00, 0x00, 0x00, // rtm_flags
				0x08, 0x00, 0x01, 0x00, // RTA_DST, 8 bytes
				0xc0, 0x00, 0x02, 0x00, // 192.0.2.0
				0x08, 0x00, 0x06, 0x00, // RTA_PRIORITY, 8 bytes
				0x14, 0x00, 0x00, 0x00, // 20
				0x08, 0x00, 0x1e, 0x00, // RTA_NH_ID, 8 bytes
				0x11, 0x00, 0x00, 0x00, // 17
			},
			want: RouteMessage{Family: 2, DstLength: 24, Table: 254, Protocol: 196, Type: 1,
				Attributes: RouteAttributes{Dst: addr("192.0.2.0"), Priority: 20, NexthopID: 17}},
		},
		{
			name: "gateway and interface (cases_nonhg 192.0.2.0/24)",
			in: []byte{
				0x02, 0x18, 0x00, 0x00, // family AF_INET, dst_len 24, src_len, tos
				0xfe, 0xc4, 0x00, 0x01, // table 254, protocol static, scope, type unicast
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // RTA_DST
				0xc0, 0x00, 0x02, 0x00, // 192.0.2.0
				0x08, 0x00, 0x06, 0x00, // RTA_PRIORITY
				0x14, 0x00, 0x00, 0x00, // 20
				0x08, 0x00, 0x05, 0x00, // RTA_GATEWAY
				0x0a, 0x00, 0x00, 0x02, // 10.0.0.2
				0x08, 0x00, 0x04, 0x00, // RTA_OIF
				0x02, 0x00, 0x00, 0x00, // ifindex 2
			},
			want: RouteMessage{Family: 2, DstLength: 24, Table: 254, Protocol: 196, Type: 1,
				Attributes: RouteAttributes{Dst: addr("192.0.2.0"), Priority: 20,
					Gateway: addr("10.0.0.2"), OutIface: 2}},
		},
		{
			name: "ECMP with RTA_MULTIPATH (cases_nonhg 198.51.100.0/24)",
			in: []byte{
				0x02, 0x18, 0x00, 0x00, // family AF_INET, dst_len 24, src_len, tos
				0xfe, 0xc4, 0x00, 0x01, // table 254, protocol static, scope, type unicast
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // RTA_DST
				0xc6, 0x33, 0x64, 0x00, // 198.51.100.0
				0x08, 0x00, 0x06, 0x00, // RTA_PRIORITY
				0x14, 0x00, 0x00, 0x00, // 20
				0x24, 0x00, 0x09, 0x80, // RTA_MULTIPATH|NLA_F_NESTED, 36 bytes
				0x10, 0x00, // rtnh_len 16
				0x00,                   // rtnh_flags
				0x00,                   // rtnh_hops: weight 1
				0x02, 0x00, 0x00, 0x00, // rtnh_ifindex 2
				0x08, 0x00, 0x05, 0x00, // RTA_GATEWAY
				0x0a, 0x00, 0x00, 0x02, // 10.0.0.2
				0x10, 0x00, // rtnh_len 16
				0x00,                   // rtnh_flags
				0x00,                   // rtnh_hops
				0x03, 0x00, 0x00, 0x00, // rtnh_ifindex 3
				0x08, 0x00, 0x05, 0x00, // RTA_GATEWAY
				0x0a, 0x00, 0x01, 0x02, // 10.0.1.2
			},
			want: RouteMessage{Family: 2, DstLength: 24, Table: 254, Protocol: 196, Type: 1,
				Attributes: RouteAttributes{Dst: addr("198.51.100.0"), Priority: 20,
					Multipath: []NextHop{
						{Ifindex: 2, Gateway: addr("10.0.0.2")},
						{Ifindex: 3, Gateway: addr("10.0.1.2")},
					}}},
		},
		{
			name: "IPv6 link-local gateway (cases_nonhg 2001:db8:100::/48)",
			in: []byte{
				0x0a, 0x30, 0x00, 0x00, // family AF_INET6, dst_len 48, src_len, tos
				0xfe, 0xc4, 0x00, 0x01, // table 254, protocol static, scope, type unicast
				0x00, 0x00, 0x00, 0x00, // flags
				0x14, 0x00, 0x01, 0x00, // RTA_DST, 20 bytes
				0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0x00, 0x00, // 2001:db8:100::
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				0x08, 0x00, 0x06, 0x00, // RTA_PRIORITY
				0x14, 0x00, 0x00, 0x00, // 20
				0x14, 0x00, 0x05, 0x00, // RTA_GATEWAY, 20 bytes
				0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // fe80::1
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
				0x08, 0x00, 0x04, 0x00, // RTA_OIF
				0x02, 0x00, 0x00, 0x00, // ifindex 2
			},
			want: RouteMessage{Family: 10, DstLength: 48, Table: 254, Protocol: 196, Type: 1,
				Attributes: RouteAttributes{Dst: addr("2001:db8:100::"), Priority: 20,
					Gateway: addr("fe80::1"), OutIface: 2}},
		},
		{
			name: "delete: rtmsg, RTA_DST, RTA_PRIORITY (cases_nonhg)",
			in: []byte{
				0x02, 0x18, 0x00, 0x00, // family AF_INET, dst_len 24, src_len, tos
				0xfe, 0xc4, 0x00, 0x00, // table 254, protocol static, scope, type unspec
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // RTA_DST
				0xc0, 0x00, 0x02, 0x00, // 192.0.2.0
				0x08, 0x00, 0x06, 0x00, // RTA_PRIORITY
				0x14, 0x00, 0x00, 0x00, // 20
			},
			want: RouteMessage{Family: 2, DstLength: 24, Table: 254, Protocol: 196,
				Attributes: RouteAttributes{Dst: addr("192.0.2.0"), Priority: 20}},
		},
		{
			name: "blackhole (cases_nhg 203.0.113.0/24)",
			in: []byte{
				0x02, 0x18, 0x00, 0x00, // family AF_INET, dst_len 24, src_len, tos
				0xfe, 0xc4, 0x00, 0x06, // table 254, protocol static, scope, type blackhole
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // RTA_DST
				0xcb, 0x00, 0x71, 0x00, // 203.0.113.0
				0x08, 0x00, 0x06, 0x00, // RTA_PRIORITY
				0x14, 0x00, 0x00, 0x00, // 20
			},
			want: RouteMessage{Family: 2, DstLength: 24, Table: 254, Protocol: 196, Type: 6,
				Attributes: RouteAttributes{Dst: addr("203.0.113.0"), Priority: 20}},
		},
		{
			name: "legacy module: priority 0 and hops 1 (legacy_fpm 198.51.100.0/24)",
			in: []byte{
				0x02, 0x18, 0x00, 0x00, // family AF_INET, dst_len 24, src_len, tos
				0xfe, 0x0b, 0x00, 0x01, // table 254, protocol zebra, scope, type unicast
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // RTA_DST
				0xc6, 0x33, 0x64, 0x00, // 198.51.100.0
				0x08, 0x00, 0x06, 0x00, // RTA_PRIORITY
				0x00, 0x00, 0x00, 0x00, // 0: present, so MarshalBinary cannot give it back
				0x24, 0x00, 0x09, 0x80, // RTA_MULTIPATH|NLA_F_NESTED
				0x10, 0x00, 0x00, 0x01, // rtnh_len 16, flags, hops 1 (the legacy module sends the weight)
				0x02, 0x00, 0x00, 0x00, // ifindex 2
				0x08, 0x00, 0x05, 0x00, // RTA_GATEWAY
				0x0a, 0x00, 0x00, 0x02, // 10.0.0.2
				0x10, 0x00, 0x00, 0x01, // rtnh_len 16, flags, hops 1
				0x03, 0x00, 0x00, 0x00, // ifindex 3
				0x08, 0x00, 0x05, 0x00, // RTA_GATEWAY
				0x0a, 0x00, 0x01, 0x02, // 10.0.1.2
			},
			want: RouteMessage{Family: 2, DstLength: 24, Table: 254, Protocol: 11, Type: 1,
				Attributes: RouteAttributes{Dst: addr("198.51.100.0"),
					Multipath: []NextHop{
						{Hops: 1, Ifindex: 2, Gateway: addr("10.0.0.2")},
						{Hops: 1, Ifindex: 3, Gateway: addr("10.0.1.2")},
					}}},
			lossy: true,
		},
		{
			name: "RTA_TABLE and RTA_VIA (written by hand: table >= 256, IPv6 nexthop of an IPv4 route)",
			in: []byte{
				0x02, 0x00, 0x00, 0x00, // family AF_INET, dst_len 0 (default route), src_len, tos
				0x00, 0xba, 0x00, 0x01, // rtm_table 0 (RT_TABLE_UNSPEC), protocol bgp, scope, type unicast
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x0f, 0x00, // RTA_TABLE
				0xe8, 0x03, 0x00, 0x00, // 1000
				0x16, 0x00, 0x12, 0x00, // RTA_VIA, 22 bytes
				0x0a, 0x00, // rtvia_family AF_INET6
				0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // fe80::2
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
				0x00, 0x00, // padding
				0x08, 0x00, 0x04, 0x00, // RTA_OIF
				0x05, 0x00, 0x00, 0x00, // ifindex 5
				0x08, 0x00, 0x0c, 0x00, // RTA_CACHEINFO-like unknown attribute: skipped
				0x01, 0x02, 0x03, 0x04,
			},
			want: RouteMessage{Family: 2, Protocol: 186, Type: 1,
				Attributes: RouteAttributes{Table: 1000, Gateway: addr("fe80::2"), OutIface: 5}},
			lossy: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m RouteMessage
			if err := m.UnmarshalBinary(tt.in); err != nil {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			if diff := cmp.Diff(tt.want, m, cmpOpts); diff != "" {
				t.Fatalf("message (-want +got):\n%s", diff)
			}
			b, err := m.MarshalBinary()
			if err != nil {
				t.Fatalf("MarshalBinary: %v", err)
			}
			if !tt.lossy && !bytes.Equal(b, tt.in) {
				t.Fatalf("MarshalBinary:\n got %x\nwant %x", b, tt.in)
			}
			var again RouteMessage
			if err := again.UnmarshalBinary(b); err != nil {
				t.Fatalf("decoding MarshalBinary's output: %v", err)
			}
			if diff := cmp.Diff(m, again, cmpOpts); diff != "" {
				t.Fatalf("round trip (-first +second):\n%s", diff)
			}
		})
	}
}

func TestRouteMessageUnmarshalErrors(t *testing.T) {
	rtmsg := func(family, dstLen uint8) []byte {
		return []byte{family, dstLen, 0, 0, 0xfe, 0xc4, 0, 1, 0, 0, 0, 0}
	}
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	tests := []struct {
		name string
		in   []byte
		err  error // nil: any error
	}{
		{name: "empty", in: nil, err: errShort},
		{name: "short rtmsg", in: rtmsg(2, 24)[:11], err: errShort},
		{name: "RTNL_FAMILY_IPMR", in: rtmsg(128, 32), err: errUnsupported},
		{name: "AF_UNSPEC", in: rtmsg(0, 0), err: errUnsupported},
		{
			name: "IPv6 RTA_DST in an IPv4 route",
			in: cat(rtmsg(2, 24),
				[]byte{0x14, 0x00, 0x01, 0x00}, // RTA_DST, 20 bytes
				make([]byte, 16)),
			err: errAddrLen,
		},
		{
			name: "attribute longer than the message",
			in: cat(rtmsg(2, 24),
				[]byte{0x0c, 0x00, 0x01, 0x00}, // RTA_DST claiming 12 bytes
				[]byte{10, 0, 0, 0}),
		},
		{
			name: "truncated attribute header",
			in:   cat(rtmsg(2, 24), []byte{0x08, 0x00}),
		},
		{
			name: "RTA_OIF of 2 bytes",
			in:   cat(rtmsg(2, 24), []byte{0x06, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00}),
		},
		{
			name: "rtnexthop longer than RTA_MULTIPATH",
			in: cat(rtmsg(2, 24),
				[]byte{0x0c, 0x00, 0x09, 0x80}, // RTA_MULTIPATH, 12 bytes
				[]byte{0x20, 0x00, 0x00, 0x00}, // rtnh_len 32
				[]byte{0x02, 0x00, 0x00, 0x00}),
			err: errRtnexthop,
		},
		{
			name: "rtnexthop shorter than its header",
			in: cat(rtmsg(2, 24),
				[]byte{0x0c, 0x00, 0x09, 0x80}, // RTA_MULTIPATH, 12 bytes
				[]byte{0x04, 0x00, 0x00, 0x00}, // rtnh_len 4
				[]byte{0x02, 0x00, 0x00, 0x00}),
			err: errRtnexthop,
		},
		{
			name: "half an rtnexthop",
			in: cat(rtmsg(2, 24),
				[]byte{0x08, 0x00, 0x09, 0x80}, // RTA_MULTIPATH, 8 bytes
				[]byte{0x08, 0x00, 0x00, 0x00}),
			err: errRtnexthop,
		},
		{
			name: "RTA_VIA without an address",
			in: cat(rtmsg(2, 24),
				[]byte{0x06, 0x00, 0x12, 0x00}, // RTA_VIA, 6 bytes
				[]byte{0x0a, 0x00, 0x00, 0x00}),
			err: errAddrLen,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m RouteMessage
			err := m.UnmarshalBinary(tt.in)
			if err == nil {
				t.Fatalf("no error; decoded %+v", m)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestRouteMessagePrefix(t *testing.T) {
	tests := []struct {
		name  string
		in    RouteMessage
		want  netip.Prefix
		table uint32
		err   error
	}{
		{
			name:  "host bits are masked",
			in:    RouteMessage{Family: 2, DstLength: 24, Table: 254, Attributes: RouteAttributes{Dst: addr("192.0.2.77")}},
			want:  prefix("192.0.2.0/24"),
			table: 254,
		},
		{
			name:  "RTA_TABLE overrides rtm_table",
			in:    RouteMessage{Family: 10, DstLength: 64, Table: 0, Attributes: RouteAttributes{Dst: addr("2001:db8::1"), Table: 1000}},
			want:  prefix("2001:db8::/64"),
			table: 1000,
		},
		{
			name:  "no RTA_DST: default route",
			in:    RouteMessage{Family: 10, Table: 100},
			want:  prefix("::/0"),
			table: 100,
		},
		{
			name: "prefix too long",
			in:   RouteMessage{Family: 2, DstLength: 33, Attributes: RouteAttributes{Dst: addr("192.0.2.0")}},
			err:  errPrefixLen,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.in.Prefix()
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if p != tt.want || tt.in.TableID() != tt.table {
				t.Fatalf("got %s table %d, want %s table %d", p, tt.in.TableID(), tt.want, tt.table)
			}
		})
	}
}

func TestRouteMessageMarshalErrors(t *testing.T) {
	m := RouteMessage{Family: 2, DstLength: 64, Attributes: RouteAttributes{Dst: addr("2001:db8::")}}
	if _, err := m.MarshalBinary(); !errors.Is(err, errAddrLen) {
		t.Fatalf("IPv6 RTA_DST in an IPv4 route: err = %v, want errAddrLen", err)
	}
}
