package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestManPageMatchesCode keeps contrib/debian/lcpfib.8 accurate: its
// CONFIGURATION section documents exactly the keys lcpfib knows, with
// their defaults, and its SYNOPSIS names every command of the usage text.
func TestManPageMatchesCode(t *testing.T) {
	b, err := os.ReadFile("../../contrib/debian/lcpfib.8")
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ReplaceAll(string(b), `\-`, "-")
	section := func(name string) string {
		_, rest, ok := strings.Cut(page, "\n.SH "+name+"\n")
		if !ok {
			t.Fatalf("lcpfib.8 has no %s section", name)
		}
		if i := strings.Index(rest, "\n.SH "); i >= 0 {
			rest = rest[:i]
		}
		return rest
	}

	// Each key is a tag paragraph: ".BR key " (default)"".
	documented := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\.TP\n\.BR (\S+) " \((.*)\)"$`).FindAllStringSubmatch(section("CONFIGURATION"), -1) {
		documented[m[1]] = m[2]
	}
	want := map[string]string{}
	for k, v := range defaults {
		want[k] = manDefault(v)
	}
	for k := range listKeys {
		want[k] = "[]"
	}
	if diff := cmp.Diff(want, documented); diff != "" {
		t.Errorf("lcpfib.8 CONFIGURATION: keys and defaults differ from the code (-code +man page):\n%s", diff)
	}

	synopsis := section("SYNOPSIS")
	for _, line := range strings.Split(usage, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "lcpfib" {
			continue
		}
		cmd := f[1]
		if len(f) > 2 && !strings.HasPrefix(f[2], "[") && strings.ToLower(f[2]) == f[2] {
			cmd += " " + f[2] // "config check"
		}
		if !strings.Contains(synopsis, ".B lcpfib "+cmd+"\n") {
			t.Errorf("lcpfib.8 SYNOPSIS lacks the command %q of the usage text", cmd)
		}
	}
}

// manDefault is how the man page writes a default value.
func manDefault(v any) string {
	if v == "" {
		return "empty"
	}
	return fmt.Sprint(v)
}
