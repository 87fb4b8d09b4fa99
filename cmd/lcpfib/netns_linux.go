package main

import (
	"context"
	"fmt"
	"net"
	"runtime"

	"github.com/vishvananda/netns"
)

// listenIn opens a TCP listener inside the network namespace at nsPath (the
// current one when empty). A socket stays in the namespace it was created
// in, so only the creating thread has to switch.
func listenIn(ctx context.Context, nsPath, addr string) (net.Listener, error) {
	if nsPath == "" {
		var lc net.ListenConfig
		return lc.Listen(ctx, "tcp", addr)
	}
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// This goroutine's thread is left locked on purpose: when it
		// exits, Go throws the thread away instead of reusing a thread
		// whose namespace may not have been restored.
		runtime.LockOSThread()
		ln, err := func() (net.Listener, error) {
			target, err := netns.GetFromPath(nsPath)
			if err != nil {
				return nil, fmt.Errorf("opening network namespace %s: %w", nsPath, err)
			}
			defer target.Close()
			if err := netns.Set(target); err != nil {
				return nil, fmt.Errorf("entering network namespace %s: %w", nsPath, err)
			}
			var lc net.ListenConfig
			return lc.Listen(ctx, "tcp", addr)
		}()
		ch <- result{ln, err}
	}()
	r := <-ch
	return r.ln, r.err
}
