package bird

import (
	"errors"
	"fmt"

	api "github.com/osrg/gobgp/v3/api"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// The type URLs of the GoBGP messages decode reads.
var (
	typeIPAddressPrefix  = typeURL(&api.IPAddressPrefix{})
	typeNextHop          = typeURL(&api.NextHopAttribute{})
	typeMpReach          = typeURL(&api.MpReachNLRIAttribute{})
	typeLocalPref        = typeURL(&api.LocalPrefAttribute{})
	typeCommunities      = typeURL(&api.CommunitiesAttribute{})
	typeLargeCommunities = typeURL(&api.LargeCommunitiesAttribute{})
)

func typeURL(m proto.Message) string {
	a, err := anypb.New(m)
	if err != nil {
		panic(err) // an empty message always marshals
	}
	return a.TypeUrl
}

var errWire = errors.New("malformed protobuf")

// each calls fn for every field of the protobuf message b: its number,
// wire type, and value (the varint, or the bytes of a length-delimited
// field). Other wire types are skipped.
func each(b []byte, fn func(n protowire.Number, t protowire.Type, x uint64, v []byte) error) error {
	for len(b) > 0 {
		n, t, l := protowire.ConsumeTag(b)
		if l < 0 {
			return errWire
		}
		b = b[l:]
		var x uint64
		var v []byte
		switch t {
		case protowire.VarintType:
			x, l = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		default:
			l = protowire.ConsumeFieldValue(n, t, b)
		}
		if l < 0 {
			return errWire
		}
		b = b[l:]
		if t == protowire.VarintType || t == protowire.BytesType {
			if err := fn(n, t, x, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// readPrefix reads an IPAddressPrefix: prefix_len (1), prefix (2).
func readPrefix(b []byte) (uint32, string, error) {
	var plen uint32
	var addr string
	err := each(b, func(n protowire.Number, t protowire.Type, x uint64, v []byte) error {
		switch {
		case n == 1 && t == protowire.VarintType:
			plen = uint32(x)
		case n == 2 && t == protowire.BytesType:
			addr = string(v)
		}
		return nil
	})
	return plen, addr, err
}

// readString reads string field num.
func readString(b []byte, num protowire.Number) (string, error) {
	var s string
	err := each(b, func(n protowire.Number, t protowire.Type, _ uint64, v []byte) error {
		if n == num && t == protowire.BytesType {
			s = string(v)
		}
		return nil
	})
	return s, err
}

// readStrings reads repeated string field num.
func readStrings(b []byte, num protowire.Number) ([]string, error) {
	var out []string
	err := each(b, func(n protowire.Number, t protowire.Type, _ uint64, v []byte) error {
		if n == num && t == protowire.BytesType {
			out = append(out, string(v))
		}
		return nil
	})
	return out, err
}

// readUint32 reads varint field num.
func readUint32(b []byte, num protowire.Number) (uint32, error) {
	var u uint32
	err := each(b, func(n protowire.Number, t protowire.Type, x uint64, _ []byte) error {
		if n == num && t == protowire.VarintType {
			u = uint32(x)
		}
		return nil
	})
	return u, err
}

// readPackedUint32 calls fn for every value of repeated uint32 field num,
// packed or not.
func readPackedUint32(b []byte, num protowire.Number, fn func(uint32)) error {
	return each(b, func(n protowire.Number, t protowire.Type, x uint64, v []byte) error {
		if n != num {
			return nil
		}
		if t == protowire.VarintType {
			fn(uint32(x))
			return nil
		}
		for len(v) > 0 {
			x, l := protowire.ConsumeVarint(v)
			if l < 0 {
				return errWire
			}
			fn(uint32(x))
			v = v[l:]
		}
		return nil
	})
}

// readLargeCommunities calls fn for every LargeCommunity (global_admin 1,
// local_data1 2, local_data2 3) of a LargeCommunitiesAttribute (field 1).
func readLargeCommunities(b []byte, fn func(ga, d1, d2 uint32) error) error {
	return each(b, func(n protowire.Number, t protowire.Type, _ uint64, v []byte) error {
		if n != 1 || t != protowire.BytesType {
			return nil
		}
		var c [4]uint32
		err := each(v, func(n protowire.Number, t protowire.Type, x uint64, _ []byte) error {
			if t == protowire.VarintType && n >= 1 && n <= 3 {
				c[n] = uint32(x)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("LARGE_COMMUNITY: %w", err)
		}
		return fn(c[1], c[2], c[3])
	})
}
