package bird

import (
	"fmt"
	"runtime"

	"github.com/osrg/gobgp/v3/pkg/server"
	"github.com/vishvananda/netns"
)

// serve runs GoBGP's main loop. GoBGP opens its listening sockets from
// that loop, and a socket belongs to the namespace of the thread that
// creates it, so with nsPath set the loop runs on a thread that entered
// the namespace and stays locked to it (GoBGP's loop never returns; the
// thread ends with the process).
func serve(s *server.BgpServer, nsPath string) error {
	if nsPath == "" {
		go s.Serve()
		return nil
	}
	ready := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		target, err := netns.GetFromPath(nsPath)
		if err != nil {
			ready <- fmt.Errorf("opening network namespace %s: %w", nsPath, err)
			return
		}
		err = netns.Set(target)
		target.Close()
		if err != nil {
			ready <- fmt.Errorf("entering network namespace %s: %w", nsPath, err)
			return
		}
		ready <- nil
		s.Serve()
	}()
	return <-ready
}
