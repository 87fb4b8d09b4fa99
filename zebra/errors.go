package zebra

import (
	"errors"
	"fmt"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/mdlayher/netlink"
)

// Reasons a message cannot be used.
var (
	errUnsupported = errors.New("unsupported message")
	errShort       = errors.New("message too short")
	errAddrLen     = errors.New("address length does not match the family")
	errPrefixLen   = errors.New("prefix length too long for the family")
	errRtnexthop   = errors.New("bad rtnexthop length")
	errGroupLen    = errors.New("NHA_GROUP length not a multiple of 8")
	errNoID        = errors.New("nexthop without NHA_ID")
	errEmpty       = errors.New("nexthop with neither gateway, interface, group nor blackhole")
)

// Error is a netlink message from zebra that was well framed but could not
// be used: it did not decode, or it is of a type or family this package does
// not handle yet. The message is skipped and the connection goes on:
// errors.Is(err, fpm.ErrSkip) holds for every *Error.
type Error struct {
	Type   netlink.HeaderType // nlmsg_type
	Family uint8              // rtm_family / nh_family, when known
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("zebra: %s message (family %d): %v", typeName(e.Type), e.Family, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes every *Error match fpm.ErrSkip.
func (e *Error) Is(target error) bool { return target == fpm.ErrSkip }

// Unsupported reports whether the message was valid but of a type or
// family this package does not handle (as opposed to malformed).
func (e *Error) Unsupported() bool { return errors.Is(e.Err, errUnsupported) }

func typeName(t netlink.HeaderType) string {
	switch t {
	case TypeNewRoute:
		return "RTM_NEWROUTE"
	case TypeDelRoute:
		return "RTM_DELROUTE"
	case TypeNewNexthop:
		return "RTM_NEWNEXTHOP"
	case TypeDelNexthop:
		return "RTM_DELNEXTHOP"
	}
	return fmt.Sprintf("type %d", uint16(t))
}
