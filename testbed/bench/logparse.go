package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// logLine is one line of lcpfib's log as slog's text handler writes it:
// time=... level=... msg=... key=value ...
type logLine struct {
	Time  time.Time
	Level string
	Msg   string
	Attrs map[string]string
}

// parseLogLine parses a slog text line. ok is false for anything else
// (GODEBUG=gctrace lines, Go runtime messages).
func parseLogLine(s string) (logLine, bool) {
	var l logLine
	rest := strings.TrimSpace(s)
	for rest != "" {
		k, v, r, err := nextPair(rest)
		if err != nil {
			return logLine{}, false
		}
		rest = r
		switch k {
		case "time":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return logLine{}, false
			}
			l.Time = t
		case "level":
			l.Level = v
		case "msg":
			l.Msg = v
		default:
			if l.Attrs == nil {
				l.Attrs = make(map[string]string)
			}
			l.Attrs[k] = v
		}
	}
	if l.Time.IsZero() || l.Msg == "" {
		return logLine{}, false
	}
	return l, true
}

// nextPair cuts key=value off s; a value may be a Go-quoted string.
func nextPair(s string) (key, val, rest string, err error) {
	i := strings.IndexByte(s, '=')
	if i <= 0 || strings.ContainsAny(s[:i], " \t\"") {
		return "", "", "", fmt.Errorf("no key=value at %q", s)
	}
	key, s = s[:i], s[i+1:]
	if strings.HasPrefix(s, `"`) {
		// Find the closing quote, skipping escaped characters.
		end := -1
		for j := 1; j < len(s); j++ {
			if s[j] == '\\' {
				j++
				continue
			}
			if s[j] == '"' {
				end = j
				break
			}
		}
		if end < 0 {
			return "", "", "", fmt.Errorf("unterminated quote in %q", s)
		}
		val, err = strconv.Unquote(s[:end+1])
		if err != nil {
			return "", "", "", err
		}
		return key, val, strings.TrimLeft(s[end+1:], " "), nil
	}
	j := strings.IndexByte(s, ' ')
	if j < 0 {
		return key, s, "", nil
	}
	return key, s[:j], strings.TrimLeft(s[j:], " "), nil
}

// gcLine is one GODEBUG=gctrace=1 line: the heap before and after the
// collection, the live heap, and the next goal.
type gcLine struct {
	N                        int
	HeapStart, HeapEnd, Live int64 // bytes
	Goal                     int64
}

// gctrace lines look like
// "gc 12 @3.401s 5%: 0.02+1.2+0.01 ms clock, ..., 45->46->30 MB, 60 MB goal, 0 MB stacks, ...".
var gcRE = regexp.MustCompile(`^gc (\d+) @[^ ]+ [^ ]+: .*, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

func parseGCLine(s string) (gcLine, bool) {
	m := gcRE.FindStringSubmatch(s)
	if m == nil {
		return gcLine{}, false
	}
	var n [5]int64
	for i := range n {
		v, err := strconv.ParseInt(m[i+1], 10, 64)
		if err != nil {
			return gcLine{}, false
		}
		n[i] = v
	}
	return gcLine{N: int(n[0]), HeapStart: n[1] << 20, HeapEnd: n[2] << 20, Live: n[3] << 20, Goal: n[4] << 20}, true
}
