package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// pprofAddr is where lcpfib serves pprof (debug.pprof) with
// -lcpfib-cpuprofile: in the benchmark's own network namespace, as
// lcpfib opens only its FPM listener and netlink in the lab's.
const pprofAddr = "127.0.0.1:6060"

// profile fetches a CPU profile of lcpfib over the next d into path. The
// result arrives on the channel once the profile is written.
func (b *bench) profile(ctx context.Context, path string, d time.Duration) <-chan error {
	ch := make(chan error, 1)
	go func() {
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, int(d.Seconds()))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			ch <- err
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			ch <- fmt.Errorf("%s: %s", url, resp.Status)
			return
		}
		f, err := os.Create(path)
		if err != nil {
			ch <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		ch <- err
	}()
	return ch
}
