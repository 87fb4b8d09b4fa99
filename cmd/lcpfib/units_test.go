package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies runs systemd-analyze verify on systemd/lcpfib.service
// (the binary's path swapped for /bin/true, with stand-ins for the units
// it orders itself after).
func TestSystemdUnitVerifies(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatalf("systemd-analyze is missing (Debian package systemd): %v", err)
	}
	unit, err := os.ReadFile("../../systemd/lcpfib.service")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"lcpfib.service":          strings.ReplaceAll(string(unit), "/usr/sbin/lcpfib", "/bin/true"),
		"vpp.service":             "[Unit]\nDescription=VPP stand-in\n[Service]\nExecStart=/bin/true\n",
		"netns-dataplane.service": "[Unit]\nDescription=namespace stand-in\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("systemd-analyze", "verify", "./lcpfib.service")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
