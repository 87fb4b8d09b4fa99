package zebra

import (
	"fmt"

	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nlenc"
)

// Message is one netlink message of an FPM payload, decoded. Exactly one of
// Route and Nexthop is set.
type Message struct {
	Header  netlink.Header
	Route   *RouteMessage   // TypeNewRoute, TypeDelRoute
	Nexthop *NexthopMessage // TypeNewNexthop, TypeDelNexthop
}

// UnmarshalMessages decodes every netlink message of an FPM payload. It
// stops at the first message that does not decode; the error is an *Error.
func UnmarshalMessages(b []byte) ([]Message, error) {
	var ms []Message
	for len(b) > 0 {
		nm, rest, err := nextMessage(b)
		if err != nil {
			return ms, err
		}
		b = rest
		m, err := decodeMessage(nm)
		if err != nil {
			return ms, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// MarshalMessages encodes ms back to back as one FPM payload. Each header's
// Length is computed; Type must match the body that is set.
func MarshalMessages(ms []Message) ([]byte, error) {
	var out []byte
	for i, m := range ms {
		var (
			data []byte
			err  error
		)
		switch {
		case m.Route != nil && m.Nexthop == nil &&
			(m.Header.Type == TypeNewRoute || m.Header.Type == TypeDelRoute):
			data, err = m.Route.MarshalBinary()
		case m.Nexthop != nil && m.Route == nil &&
			(m.Header.Type == TypeNewNexthop || m.Header.Type == TypeDelNexthop):
			data, err = m.Nexthop.MarshalBinary()
		default:
			err = fmt.Errorf("%w: body does not match the header", errUnsupported)
		}
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		nm := netlink.Message{Header: m.Header, Data: data}
		nm.Header.Length = uint32(sizeofNlmsghdr + len(data))
		b, err := nm.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		out = append(out, b...)
	}
	return out, nil
}

// nextMessage cuts the first netlink message off b. An error means the
// rest of b cannot be split into messages.
func nextMessage(b []byte) (netlink.Message, []byte, error) {
	var nm netlink.Message
	if len(b) < sizeofNlmsghdr {
		return nm, nil, &Error{Err: fmt.Errorf("%w: %d bytes left for a netlink header", errShort, len(b))}
	}
	l := int(nlenc.Uint32(b[0:4]))
	if l < sizeofNlmsghdr || l > len(b) {
		return nm, nil, &Error{Type: netlink.HeaderType(nlenc.Uint16(b[4:6])),
			Err: fmt.Errorf("%w: nlmsg_len %d with %d bytes left", errShort, l, len(b))}
	}
	if err := nm.UnmarshalBinary(b[:l]); err != nil {
		return nm, nil, &Error{Type: netlink.HeaderType(nlenc.Uint16(b[4:6])), Err: err}
	}
	return nm, b[min(align4(l), len(b)):], nil
}

// decodeMessage decodes the body of one netlink message.
func decodeMessage(nm netlink.Message) (Message, error) {
	m := Message{Header: nm.Header}
	var err error
	switch nm.Header.Type {
	case TypeNewRoute, TypeDelRoute:
		m.Route = new(RouteMessage)
		err = m.Route.UnmarshalBinary(nm.Data)
	case TypeNewNexthop, TypeDelNexthop:
		m.Nexthop = new(NexthopMessage)
		err = m.Nexthop.UnmarshalBinary(nm.Data)
	default:
		err = errUnsupported
	}
	if err != nil {
		e := &Error{Type: nm.Header.Type, Err: err}
		if len(nm.Data) > 0 {
			e.Family = nm.Data[0]
		}
		return Message{}, e
	}
	return m, nil
}
