package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{name: "empty", sorted: nil, p: 50, want: 0},
		{name: "one", sorted: ms(7), p: 99, want: 7 * time.Millisecond},
		{name: "p50 of 1..100", sorted: hundred, p: 50, want: 50 * time.Millisecond},
		{name: "p99 of 1..100", sorted: hundred, p: 99, want: 99 * time.Millisecond},
		{name: "p100 of 1..100", sorted: hundred, p: 100, want: 100 * time.Millisecond},
		// Nearest rank: ceil(0.5*4) = 2nd value, not an interpolation.
		{name: "p50 of four", sorted: ms(1, 2, 3, 4), p: 50, want: 2 * time.Millisecond},
		{name: "p99 of four", sorted: ms(1, 2, 3, 4), p: 99, want: 4 * time.Millisecond},
		{name: "tiny p", sorted: ms(1, 2, 3), p: 0.001, want: time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	in := []time.Duration{30 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}
	got := summarize(in, 2)
	want := latencies{N: 3, Missing: 2, P50: 20 * time.Millisecond, P99: 30 * time.Millisecond,
		Max: 30 * time.Millisecond, Min: 10 * time.Millisecond, Mean: 20 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summarize (-want +got):\n%s", diff)
	}
	if in[0] != 30*time.Millisecond {
		t.Errorf("summarize sorted its input")
	}
	if s := summarize(nil, 0).String(); s != "no samples" {
		t.Errorf("empty summary = %q", s)
	}
}

func TestParseStatus(t *testing.T) {
	const status = `Name:	lcpfib
Umask:	0022
State:	S (sleeping)
VmPeak:	 3001156 kB
VmSize:	 3001156 kB
VmHWM:	  487404 kB
VmRSS:	  401212 kB
RssAnon:	  390000 kB
Threads:	9
`
	got, err := parseStatus(status)
	if err != nil {
		t.Fatal(err)
	}
	want := memStatus{HWM: 487404 << 10, RSS: 401212 << 10}
	if got != want {
		t.Errorf("parseStatus = %+v, want %+v", got, want)
	}
	if _, err := parseStatus("Name:\tkthreadd\nState:\tS (sleeping)\n"); err == nil {
		t.Error("a kernel thread's status (no VmHWM) parsed without error")
	}
	if _, err := parseStatus("VmHWM:\t12 MB\nVmRSS:\t1 kB\n"); err == nil {
		t.Error("a value in MB parsed without error")
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		err  bool
	}{
		{
			name: "plain",
			// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
			in:   "17342 (lcpfib) S 1 17342 17342 0 -1 4194560 123 0 0 0 3286 125 0 0 20 0 9 0 1000 3001156000 121851 ...",
			want: (3286 + 125) * 10 * time.Millisecond,
		},
		{
			name: "command name with spaces and parentheses",
			in:   "42 (a (b) c) R 1 42 42 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 0 0",
			want: 100 * time.Millisecond,
		},
		{name: "truncated", in: "42 (x) R 1 2 3", err: true},
		{name: "no command", in: "42 x R 1", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error: %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("parseStatCPU = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	const stat = "cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 50 2 25 500 10 0 1 1 0 0\nintr 1 2 3\n"
	got, err := parseProcStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	// busy: user nice system irq softirq steal = 100+5+50+1+2+3; idle and iowait are not.
	want := machineCPU{Busy: 161 * clockTick, Total: 1181 * clockTick}
	if got != want {
		t.Errorf("parseProcStat = %+v, want %+v", got, want)
	}
}

func TestParseCPUInfoAndMemInfo(t *testing.T) {
	const cpuinfo = `processor	: 0
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) CPU @ 2.20GHz
flags		: fpu vme

processor	: 1
model name	: Intel(R) Xeon(R) CPU @ 2.20GHz
`
	n, model := parseCPUInfo(cpuinfo)
	if n != 2 || model != "Intel(R) Xeon(R) CPU @ 2.20GHz" {
		t.Errorf("parseCPUInfo = %d, %q", n, model)
	}
	got, err := parseMemTotal("MemTotal:       24682456 kB\nMemFree:        21455124 kB\n")
	if err != nil || got != 24682456<<10 {
		t.Errorf("parseMemTotal = %d, %v", got, err)
	}
}

func TestParseLogLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want logLine
		ok   bool
	}{
		{
			name: "quoted message and attributes",
			in:   `time=2026-01-02T01:22:36.123Z level=INFO msg="read VPP's FIB" component=vpp owned_routes=1263000 tables=2 took=1.234s`,
			want: logLine{
				Time: time.Date(2026, 1, 2, 1, 22, 36, 123e6, time.UTC), Level: "INFO", Msg: "read VPP's FIB",
				Attrs: map[string]string{"component": "vpp", "owned_routes": "1263000", "tables": "2", "took": "1.234s"},
			},
			ok: true,
		},
		{
			name: "escaped quote in a value",
			in:   `time=2026-01-02T01:22:36.000+01:00 level=WARN msg=oops err="say \"hi\" now"`,
			want: logLine{
				Time: time.Date(2026, 1, 2, 0, 22, 36, 0, time.UTC), Level: "WARN", Msg: "oops",
				Attrs: map[string]string{"err": `say "hi" now`},
			},
			ok: true,
		},
		{
			name: "GoVPP's logrus line",
			in:   `time="2026-11-22T01:33:40Z" level=warning msg="unable to send control ping" chanId=7 msgName=ip_route_v2_details seqNum=4`,
			want: logLine{
				Time: time.Date(2026, 11, 22, 1, 33, 40, 0, time.UTC), Level: "warning", Msg: "unable to send control ping",
				Attrs: map[string]string{"chanId": "7", "msgName": "ip_route_v2_details", "seqNum": "4"},
			},
			ok: true,
		},
		{name: "gctrace", in: "gc 1 @0.004s 1%: 0.009+0.23+0.003 ms clock, 3->3->0 MB, 4 MB goal, 2 P"},
		{name: "partial line", in: `time=2026-01-02T01:22:36.000Z level=INFO msg="replay comp`},
		{name: "no message", in: `time=2026-01-02T01:22:36.000Z level=INFO`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseLogLine(tt.in)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, got)
			}
			if !ok {
				return
			}
			if !got.Time.Equal(tt.want.Time) {
				t.Errorf("time %v, want %v", got.Time, tt.want.Time)
			}
			got.Time = tt.want.Time
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseLogLine (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseGCLine(t *testing.T) {
	const line = "gc 12 @3.401s 5%: 0.018+12+0.004 ms clock, 0.036+0.11/5.3/0.51+0.009 ms cpu, 345->360->190 MB, 380 MB goal, 0 MB stacks, 0 MB globals, 2 P"
	got, ok := parseGCLine(line)
	want := gcLine{N: 12, HeapStart: 345 << 20, HeapEnd: 360 << 20, Live: 190 << 20, Goal: 380 << 20}
	if !ok || got != want {
		t.Errorf("parseGCLine = %+v, %v, want %+v", got, ok, want)
	}
	if _, ok := parseGCLine(`time=2026-01-02T01:22:36.000Z level=INFO msg=x`); ok {
		t.Error("a log line parsed as a gctrace line")
	}
}

func TestNiceStep(t *testing.T) {
	tests := []struct {
		span float64
		n    int
		want float64
	}{
		{span: 1_263_000, n: 6, want: 500_000},
		{span: 5.7, n: 10, want: 1},
		{span: 12.4, n: 10, want: 2},
		{span: 0.3, n: 10, want: 0.05},
		{span: 0, n: 10, want: 1},
	}
	for _, tt := range tests {
		if got := niceStep(tt.span, tt.n); got != tt.want {
			t.Errorf("niceStep(%v, %d) = %v, want %v", tt.span, tt.n, got, tt.want)
		}
	}
	if got, want := ticks(1_263_000, 500_000), []float64{0, 500_000, 1_000_000, 1_500_000}; !cmp.Equal(got, want) {
		t.Errorf("ticks = %v, want %v", got, want)
	}
	for _, tt := range []struct {
		v, step float64
		want    string
	}{{3 * 0.2, 0.2, "0.6"}, {3 * 0.05, 0.05, "0.15"}, {20, 5, "20"}, {0, 0.5, "0.0"}} {
		if got := tickLabel(tt.v, tt.step); got != tt.want {
			t.Errorf("tickLabel(%v, %v) = %q, want %q", tt.v, tt.step, got, tt.want)
		}
	}
	for v, want := range map[float64]string{0: "0", 500_000: "500k", 1_500_000: "1.5M", 12: "12"} {
		if got := siLabel(v); got != want {
			t.Errorf("siLabel(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestWriteSVG checks the plot is well-formed XML with a line per series
// that has points, axis labels and a legend entry per series.
func TestWriteSVG(t *testing.T) {
	p := plot{
		Title:  "Routes <in> VPP & co",
		XLabel: "seconds",
		YLabel: "routes",
		Series: []series{
			{Name: "ceiling", Color: "#888", Points: []point{{0, 0}, {1, 500_000}, {2.5, 1_263_000}}},
			{Name: "load", Color: "#1f5fbf", Dashed: true, Points: []point{{0, 0}, {6, 1_263_000}}},
			{Name: "empty", Color: "red"},
		},
	}
	var buf bytes.Buffer
	if err := p.writeSVG(&buf); err != nil {
		t.Fatal(err)
	}
	type elem struct {
		name  string
		attrs map[string]string
		text  string
	}
	var elems []elem
	d := xml.NewDecoder(&buf)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := elem{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			elems = append(elems, e)
		case xml.CharData:
			if len(elems) > 0 {
				elems[len(elems)-1].text += string(tok)
			}
		}
	}
	if len(elems) == 0 || elems[0].name != "svg" {
		t.Fatalf("root is not svg: %+v", elems[:min(len(elems), 1)])
	}
	var lines int
	texts := map[string]bool{}
	for _, e := range elems {
		switch e.name {
		case "polyline":
			lines++
			if n := len(strings.Fields(e.attrs["points"])); n != 3 && n != 2 {
				t.Errorf("polyline with %d points", n)
			}
		case "text":
			texts[strings.TrimSpace(e.text)] = true // the newline after </text> is read too
		}
	}
	if lines != 2 {
		t.Errorf("%d polylines, want 2 (the empty series has none)", lines)
	}
	for _, want := range []string{"Routes <in> VPP & co", "seconds", "routes", "ceiling", "load", "empty", "0", "500k", "1M", "1.5M"} {
		if !texts[want] {
			t.Errorf("no text %q in the plot", want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1263000: "1,263,000", -45678: "-45,678"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDaemonConfigYAML(t *testing.T) {
	c := daemonConfig{Netns: "/run/netns/x", Listen: "127.0.0.1:2620", Socket: "/tmp/a b/api.sock", Window: 1024,
		Pairs: [2]string{"GigabitEthernet3/0/0", "tap1"}, ConfigDir: "/tmp/run", Extra: "bird:\n  enable: true\n"}
	want := `# written by testbed/bench
log:
  level: info
  format: text
netns: "/run/netns/x"
control:
  socket: "/tmp/run/ctl.sock"
fpm:
  listen: "127.0.0.1:2620"
vpp:
  socket: "/tmp/a b/api.sock"
  window: 1024
interfaces:
  - linux: eth0
    vpp: "GigabitEthernet3/0/0"
  - linux: eth1
    vpp: "tap1"
bird:
  enable: true
`
	if diff := cmp.Diff(want, c.yaml()); diff != "" {
		t.Errorf("yaml (-want +got):\n%s", diff)
	}
}
