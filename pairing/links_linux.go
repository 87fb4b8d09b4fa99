package pairing

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Links looks up Linux interfaces in one network namespace.
type Links struct {
	h *netlink.Handle
}

// OpenLinks opens a netlink handle in the namespace at nsPath (a path such
// as /run/netns/dataplane); an empty path means the current namespace.
func OpenLinks(nsPath string) (*Links, error) {
	if nsPath == "" {
		h, err := netlink.NewHandle()
		if err != nil {
			return nil, fmt.Errorf("opening netlink: %w", err)
		}
		return &Links{h: h}, nil
	}
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return nil, fmt.Errorf("opening network namespace %s: %w", nsPath, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("opening netlink in %s: %w", nsPath, err)
	}
	return &Links{h: h}, nil
}

// Index returns the ifindex of the named link.
func (l *Links) Index(name string) (uint32, error) {
	link, err := l.h.LinkByName(name)
	if err != nil {
		return 0, err
	}
	return uint32(link.Attrs().Index), nil
}

// Close releases the netlink handle.
func (l *Links) Close() { l.h.Close() }
