package zebra

import "github.com/mdlayher/netlink"

// Netlink message types zebra sends through FPM.
const (
	TypeNewRoute   netlink.HeaderType = 24  // RTM_NEWROUTE
	TypeDelRoute   netlink.HeaderType = 25  // RTM_DELROUTE
	TypeNewNexthop netlink.HeaderType = 104 // RTM_NEWNEXTHOP
	TypeDelNexthop netlink.HeaderType = 105 // RTM_DELNEXTHOP
)

// Address families (rtm_family, nh_family).
const (
	FamilyUnspec uint8 = 0  // AF_UNSPEC: nexthop groups
	FamilyInet   uint8 = 2  // AF_INET
	FamilyInet6  uint8 = 10 // AF_INET6
	FamilyMPLS   uint8 = 28 // AF_MPLS: label switched paths (feed_mpls.go)
)

// Route types (rtm_type) that carry forwarding for us.
const (
	RouteUnicast     uint8 = 1 // RTN_UNICAST
	RouteBlackhole   uint8 = 6 // RTN_BLACKHOLE
	RouteUnreachable uint8 = 7 // RTN_UNREACHABLE
	RouteProhibit    uint8 = 8 // RTN_PROHIBIT
)

// Routing tables with a special meaning.
const (
	TableMain  uint32 = 254 // RT_TABLE_MAIN
	TableLocal uint32 = 255 // RT_TABLE_LOCAL: the host's own addresses, never programmed
)

// Route protocols (rtm_protocol) with a meaning for lcpfib.
const (
	ProtoKernel uint8 = 2 // RTPROT_KERNEL: connected routes, and routes zebra learned from the kernel
)

// Netlink header flags zebra sets on NEWROUTE and NEWNEXTHOP.
const (
	FlagReplace netlink.HeaderFlags = 0x100 // NLM_F_REPLACE
	FlagCreate  netlink.HeaderFlags = 0x400 // NLM_F_CREATE
)

// Route attributes (enum rtattr_type_t).
const (
	rtaDst       = 1
	rtaOif       = 4
	rtaGateway   = 5
	rtaPriority  = 6
	rtaMultipath = 9
	rtaTable     = 15
	rtaVia       = 18
	rtaNHID      = 30
)

// Nexthop attributes (enum NHA_*).
const (
	nhaID        = 1
	nhaGroup     = 2
	nhaBlackhole = 4
	nhaOif       = 5
	nhaGateway   = 6
)

// Fixed sizes of the C structures.
const (
	sizeofRtmsg       = 12 // struct rtmsg
	sizeofNhmsg       = 8  // struct nhmsg
	sizeofRtnexthop   = 8  // struct rtnexthop
	sizeofNexthopGrp  = 8  // struct nexthop_grp
	sizeofNlmsghdr    = 16 // struct nlmsghdr
	sizeofRtviaFamily = 2  // struct rtvia, before the address
	sizeofRtattr      = 4  // struct rtattr, before the payload
)
