package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lcpfib.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigExampleIsValid(t *testing.T) {
	c, err := loadConfig("../../contrib/lcpfib.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.FPM.Listen != "127.0.0.1:2620" || c.VPP.Socket != "/run/vpp/api.sock" || c.VPP.Window != 1024 || c.VPP.ReplyTimeout != 5*time.Second {
		t.Fatalf("example config does not hold the defaults: %+v", c)
	}
}

func TestConfigPrecedence(t *testing.T) {
	p := writeConfig(t, "vpp:\n  socket: /file.sock\n  window: 64\nfpm:\n  listen: 127.0.0.1:2000\ninterfaces:\n  - linux: e0\n    vpp: GigabitEthernet3/0/0\n")
	t.Setenv("LCPFIB_VPP_SOCKET", "/env.sock")
	t.Setenv("LCPFIB_VPP_REPLY_TIMEOUT", "250ms")
	c, err := loadConfig(p, map[string]string{"vpp.window": "16"})
	if err != nil {
		t.Fatal(err)
	}
	if c.VPP.Socket != "/env.sock" {
		t.Errorf("vpp.socket = %q, want the environment's", c.VPP.Socket)
	}
	if c.VPP.Window != 16 {
		t.Errorf("vpp.window = %d, want the flag's 16", c.VPP.Window)
	}
	if c.VPP.ReplyTimeout != 250*time.Millisecond {
		t.Errorf("vpp.reply-timeout = %v", c.VPP.ReplyTimeout)
	}
	if c.FPM.Listen != "127.0.0.1:2000" {
		t.Errorf("fpm.listen = %q, want the file's", c.FPM.Listen)
	}
	if len(c.Interfaces) != 1 || c.Interfaces[0].VPP != "GigabitEthernet3/0/0" {
		t.Errorf("interfaces = %+v", c.Interfaces)
	}
}

func TestConfigErrorsNameKeyAndValue(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		env        map[string]string
		want       []string // every string must be in the error
	}{
		{"unknown key", "vpp:\n  sockett: /x\n", nil, []string{"unknown key", "vpp.sockett"}},
		{"unknown pair field", "interfaces:\n  - linux: e0\n    vpp: x\n    mtu: 9000\n", nil, []string{"interfaces[0].mtu"}},
		{"bad listen", "fpm:\n  listen: localhost\n", nil, []string{"fpm.listen", `"localhost"`, "address:port"}},
		{"bad window", "vpp:\n  window: 0\n", nil, []string{"vpp.window", `"0"`, "between 1 and 65536"}},
		{"relative socket", "vpp:\n  socket: api.sock\n", nil, []string{"vpp.socket", `"api.sock"`, "absolute"}},
		{"bad level", "log:\n  level: loud\n", nil, []string{"log.level", `"loud"`, "debug, info, warn or error"}},
		{"bad duration", "vpp:\n  reply-timeout: soon\n", nil, []string{"reply-timeout", "soon"}},
		{"missing netns", "netns: /run/netns/nope\n", nil, []string{"netns", "/run/netns/nope"}},
		{"duplicate pair", "interfaces:\n  - {linux: e0, vpp: a}\n  - {linux: e0, vpp: b}\n", nil, []string{"interfaces[1].linux", `"e0"`, "paired once"}},
		{"long linux name", "interfaces:\n  - {linux: abcdefghijklmnopq, vpp: a}\n", nil, []string{"interfaces[0].linux", "1-15 characters"}},
		{"unknown env", "", map[string]string{"LCPFIB_VPP_SOKET": "/x"}, []string{"LCPFIB_VPP_SOKET", "LCPFIB_VPP_SOCKET"}},
		{"metrics off loopback", "metrics:\n  listen: 192.0.2.1:9342\n", nil, []string{"metrics.listen", "192.0.2.1:9342", "loopback"}},
		{"pprof off loopback", "debug:\n  pprof: 0.0.0.0:6060\n", nil, []string{"debug.pprof", "0.0.0.0:6060", "loopback"}},
		{"bird off loopback", "bird:\n  enable: true\n  listen: 0.0.0.0:179\n  peers: [{address: 127.0.0.2}]\n", nil, []string{"bird.listen", "0.0.0.0:179", "loopback"}},
		{"bird without peers", "bird:\n  enable: true\n", nil, []string{"bird.peers", "at least one"}},
		{"bird peer twice", "bird:\n  enable: true\n  peers: [{address: 127.0.0.2}, {address: 127.0.0.2}]\n", nil, []string{"bird.peers[1].address", "once"}},
		{"bird peer not an address", "bird:\n  enable: true\n  peers: [{address: bird}]\n", nil, []string{"bird.peers[0].address", `"bird"`}},
		{"bird peer unknown field", "bird:\n  enable: true\n  peers: [{address: 127.0.0.2, port: 179}]\n", nil, []string{"bird.peers[0].port"}},
		{"bird router-id", "bird:\n  enable: true\n  router-id: \"::1\"\n  peers: [{address: 127.0.0.2}]\n", nil, []string{"bird.router-id", "IPv4"}},
		{"bird birdc missing", "bird:\n  enable: true\n  birdc: /nonexistent/birdc -s x\n  peers: [{address: 127.0.0.2}]\n", nil, []string{"bird.birdc", "/nonexistent/birdc"}},
		{"no source", "fpm:\n  enable: false\n", nil, []string{"fpm.enable", "at least one route source"}},
		{"bad prefer", "rib:\n  prefer: kernel\n", nil, []string{"rib.prefer", `"kernel"`, "frr or bird"}},
		{"bad memory limit", "memory-limit: 1TB\n", nil, []string{"memory-limit", `"1TB"`, "KiB, MiB or GiB"}},
		{"small memory limit", "memory-limit: 1MiB\n", nil, []string{"memory-limit", "at least 64MiB"}},
		{"two errors at once", "vpp:\n  window: -1\nlog:\n  format: xml\n", nil, []string{"vpp.window", "log.format"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := loadConfig(writeConfig(t, tc.body), nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCLIConfigCheck(t *testing.T) {
	var out, errb strings.Builder
	if code := cli([]string{"config", "check", "../../contrib/lcpfib.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	bad := writeConfig(t, "vpp:\n  window: 0\n")
	out.Reset()
	errb.Reset()
	if code := cli([]string{"config", "check", bad}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "vpp.window") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if code := cli([]string{"frobnicate"}, &out, &errb); code != 2 {
		t.Fatalf("unknown command: exit %d", code)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"512MiB", 512 << 20, false},
		{"1 GiB", 1 << 30, false},
		{"64KiB", 64 << 10, false},
		{"100B", 100, false},
		{"1TB", 0, true},
		{"-5MiB", 0, true},
		{"MiB", 0, true},
		{"9999999999GiB", 0, true},
	} {
		got, err := parseSize(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}
