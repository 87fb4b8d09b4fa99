package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/vpp"
)

// lockedBuffer is a log sink safe for the reload goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReloadSIGHUP sends the process a real SIGHUP after changing the
// configuration file: log.level and vpp.max-rate apply at once, the keys
// that need a restart are logged by name and keep their old values, and
// an invalid file changes nothing.
func TestReloadSIGHUP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lcpfib.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("log:\n  level: info\nvpp:\n  max-rate: 0\n  window: 1024\n")
	sets := map[string]string{"control.socket": ""}
	cfg, err := loadConfig(path, sets)
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	level := new(slog.LevelVar)
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))
	d := &daemon{cfg: cfg, log: log, vpp: vpp.New(vpp.Config{MaxRate: cfg.VPP.MaxRate}, rib.New(rib.Options{}), nil, nil)}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	r := &reloader{load: func() (*Config, error) { return loadConfig(path, sets) }, level: level, hup: hup}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.watchReload(ctx, r) }()
	defer func() { cancel(); <-done }()

	write("log:\n  level: debug\nvpp:\n  max-rate: 5000\n  window: 256\nfpm:\n  listen: 127.0.0.1:2621\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the reload", 10*time.Second, func() bool { return strings.Contains(logs.String(), "configuration reloaded") })
	if level.Level() != slog.LevelDebug {
		t.Errorf("log level %v after reload, want debug", level.Level())
	}
	if d.vpp.MaxRate() != 5000 {
		t.Errorf("vpp max-rate %d after reload, want 5000", d.vpp.MaxRate())
	}
	out := logs.String()
	if !strings.Contains(out, `keys="fpm.listen, vpp.window"`) || !strings.Contains(out, "need a restart") {
		t.Errorf("restart-only keys not logged by name:\n%s", out)
	}
	if d.cfg.VPP.Window != 1024 || d.cfg.FPM.Listen != "127.0.0.1:2620" {
		t.Errorf("restart-only keys changed in the running configuration: window %d, fpm.listen %s", d.cfg.VPP.Window, d.cfg.FPM.Listen)
	}

	// Called directly: what was applied and what needs a restart.
	write("log:\n  level: warn\nvpp:\n  max-rate: 0\n  window: 256\nfpm:\n  listen: 127.0.0.1:2621\n")
	applied, restart, err := d.reload(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"log.level", "vpp.max-rate"}, applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"fpm.listen", "vpp.window"}, restart); diff != "" {
		t.Errorf("need a restart (-want +got):\n%s", diff)
	}
	if level.Level() != slog.LevelWarn || d.vpp.MaxRate() != 0 {
		t.Errorf("level %v, max-rate %d; want warn and 0", level.Level(), d.vpp.MaxRate())
	}

	// An invalid file: an error naming the key, nothing changes.
	write("log:\n  level: loud\nvpp:\n  max-rate: 7\n")
	if _, _, err := d.reload(r); err == nil || !strings.Contains(err.Error(), "log.level") {
		t.Fatalf("invalid file: %v", err)
	}
	if level.Level() != slog.LevelWarn || d.vpp.MaxRate() != 0 {
		t.Errorf("an invalid file changed the daemon: level %v, max-rate %d", level.Level(), d.vpp.MaxRate())
	}
}

// TestProgress folds samples in as the ticker would: a batch starts,
// advances and completes, with done/total and the rate of the interval.
func TestProgress(t *testing.T) {
	var logs lockedBuffer
	pr := newProgress(slog.New(slog.NewTextHandler(&logs, nil)), nil)
	t0 := time.Unix(1000, 0)
	pr.step(t0, progressSample{})
	if pr.current().Active {
		t.Fatal("active with nothing pending")
	}
	pr.step(t0.Add(5*time.Second), progressSample{pending: 90000, inflight: 1000, done: 10000})
	p := pr.current()
	if !p.Active || p.Done != 10000 || p.Total != 101000 || p.Rate != 2000 || !p.Started.Equal(t0) {
		t.Fatalf("after the first busy sample: %+v", p)
	}
	pr.step(t0.Add(10*time.Second), progressSample{pending: 40000, inflight: 1000, done: 60000})
	p = pr.current()
	if p.Done != 60000 || p.Total != 101000 || p.Rate != 10000 || time.Duration(p.ETA) != 4100*time.Millisecond {
		t.Fatalf("after the second: %+v", p)
	}
	pr.step(t0.Add(15*time.Second), progressSample{done: 101000})
	p = pr.current()
	// It ended eta (4.1 s) after the last busy sample.
	if p.Active || p.LastDone != 101000 || time.Duration(p.LastTook) != 14100*time.Millisecond {
		t.Fatalf("after the end: %+v", p)
	}
	out := logs.String()
	for _, want := range []string{`msg="programming progress" done=10000 total=101000`, "routes_per_s=10000", `msg="programming complete" changes=101000 took=14.1s routes_per_s=7163`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
