package zebra

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNexthopMessageUnmarshalBinary(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want NexthopMessage
	}{
		{
			name: "gateway and interface (cases_nhg id 17)",
			in: []byte{
				0x02,                   // nh_family AF_INET
				0x00,                   // nh_scope
				0x0b,                   // nh_protocol 11 (zebra)
				0x00,                   // resvd
				0x00, 0x00, 0x00, 0x00, // nh_flags
				0x08, 0x00, 0x01, 0x00, // NHA_ID, 8 bytes
				0x11, 0x00, 0x00, 0x00, // 17
				0x08, 0x00, 0x06, 0x00, // NHA_GATEWAY, 8 bytes
				0x0a, 0x00, 0x00, 0x02, // 10.0.0.2
				0x08, 0x00, 0x05, 0x00, // NHA_OIF, 8 bytes
				0x02, 0x00, 0x00, 0x00, // ifindex 2
			},
			want: NexthopMessage{Family: 2, Protocol: 11,
				Attributes: NexthopAttributes{ID: 17, Gateway: addr("10.0.0.2"), OutIface: 2}},
		},
		{
			name: "interface only (basic id 8)",
			in: []byte{
				0x02, 0x00, 0x0b, 0x00, // family AF_INET, scope, protocol zebra, resvd
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // NHA_ID
				0x08, 0x00, 0x00, 0x00, // 8
				0x08, 0x00, 0x05, 0x00, // NHA_OIF
				0x03, 0x00, 0x00, 0x00, // ifindex 3
			},
			want: NexthopMessage{Family: 2, Protocol: 11,
				Attributes: NexthopAttributes{ID: 8, OutIface: 3}},
		},
		{
			name: "group (cases_nhg id 21)",
			in: []byte{
				0x00, 0x00, 0x0b, 0x00, // family AF_UNSPEC, scope, protocol zebra, resvd
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // NHA_ID
				0x15, 0x00, 0x00, 0x00, // 21
				0x14, 0x00, 0x02, 0x00, // NHA_GROUP, 20 bytes
				0x11, 0x00, 0x00, 0x00, // id 17
				0x00,       // weight 1 (weight-1 = 0)
				0x00,       // resvd1
				0x00, 0x00, // resvd2
				0x16, 0x00, 0x00, 0x00, // id 22
				0x00, 0x00, 0x00, 0x00, // weight 1, resvd1, resvd2
			},
			want: NexthopMessage{Family: 0, Protocol: 11,
				Attributes: NexthopAttributes{ID: 21, Group: []GroupMember{{ID: 17}, {ID: 22}}}},
		},
		{
			name: "blackhole (cases_nhg id 24)",
			in: []byte{
				0x02, 0x00, 0x0b, 0x00, // family AF_INET, scope, protocol zebra, resvd
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // NHA_ID
				0x18, 0x00, 0x00, 0x00, // 24
				0x04, 0x00, 0x04, 0x00, // NHA_BLACKHOLE, a flag: no data
			},
			want: NexthopMessage{Family: 2, Protocol: 11,
				Attributes: NexthopAttributes{ID: 24, Blackhole: true}},
		},
		{
			name: "IPv6 gateway (cases_nhg id 32)",
			in: []byte{
				0x0a, 0x00, 0x0b, 0x00, // family AF_INET6, scope, protocol zebra, resvd
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // NHA_ID
				0x20, 0x00, 0x00, 0x00, // 32
				0x14, 0x00, 0x06, 0x00, // NHA_GATEWAY, 20 bytes
				0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, // 2001:db8::2
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
				0x08, 0x00, 0x05, 0x00, // NHA_OIF
				0x02, 0x00, 0x00, 0x00, // ifindex 2
			},
			want: NexthopMessage{Family: 10, Protocol: 11,
				Attributes: NexthopAttributes{ID: 32, Gateway: addr("2001:db8::2"), OutIface: 2}},
		},
		{
			name: "weighted group (written by hand: weights 1 and 3)",
			in: []byte{
				0x00, 0x00, 0x0b, 0x00, // family AF_UNSPEC, scope, protocol zebra, resvd
				0x00, 0x00, 0x00, 0x00, // flags
				0x08, 0x00, 0x01, 0x00, // NHA_ID
				0x64, 0x00, 0x00, 0x00, // 100
				0x14, 0x00, 0x02, 0x00, // NHA_GROUP, 20 bytes
				0x0a, 0x00, 0x00, 0x00, // id 10
				0x00, 0x00, 0x00, 0x00, // weight 1, resvd
				0x0b, 0x00, 0x00, 0x00, // id 11
				0x02, 0x00, 0x00, 0x00, // weight 3, resvd
			},
			want: NexthopMessage{Protocol: 11,
				Attributes: NexthopAttributes{ID: 100, Group: []GroupMember{{ID: 10}, {ID: 11, Weight: 2}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m NexthopMessage
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
			if !bytes.Equal(b, tt.in) {
				t.Fatalf("MarshalBinary:\n got %x\nwant %x", b, tt.in)
			}
		})
	}
}

func TestNexthopMessageUnmarshalErrors(t *testing.T) {
	nhmsg := func(family uint8) []byte { return []byte{family, 0, 0x0b, 0, 0, 0, 0, 0} }
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	tests := []struct {
		name string
		in   []byte
		err  error // nil: any error
	}{
		{name: "short nhmsg", in: nhmsg(2)[:7], err: errShort},
		{name: "AF_BRIDGE", in: nhmsg(7), err: errUnsupported},
		{
			name: "NHA_GROUP not a multiple of 8",
			in:   cat(nhmsg(0), []byte{0x0a, 0x00, 0x02, 0x00, 1, 0, 0, 0, 0, 0, 0, 0}), // 6 bytes of data, padded
			err:  errGroupLen,
		},
		{
			// AF_UNSPEC with a 4- or 16-byte gateway is what FRR 8.4 sends
			// for some labelled nexthops (TestNexthopMessageUnspecFamily).
			name: "AF_UNSPEC message with a 5-byte gateway",
			in:   cat(nhmsg(0), []byte{0x09, 0x00, 0x06, 0x00, 10, 0, 0, 1, 1, 0, 0, 0}),
			err:  errAddrLen,
		},
		{
			name: "IPv4 gateway of 16 bytes",
			in:   cat(nhmsg(2), []byte{0x14, 0x00, 0x06, 0x00}, make([]byte, 16)),
			err:  errAddrLen,
		},
		{
			name: "NHA_BLACKHOLE with data",
			in:   cat(nhmsg(2), []byte{0x08, 0x00, 0x04, 0x00, 1, 0, 0, 0}),
		},
		{
			name: "NHA_ID of 1 byte",
			in:   cat(nhmsg(2), []byte{0x05, 0x00, 0x01, 0x00, 1, 0, 0, 0}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m NexthopMessage
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
