package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of the CPU times in /proc: 100 on every
// Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// memStatus is what /proc/PID/status says about a process's memory.
type memStatus struct {
	HWM, RSS int64 // VmHWM (peak resident set) and VmRSS, in bytes
}

// parseStatus reads VmHWM and VmRSS out of /proc/PID/status.
func parseStatus(s string) (memStatus, error) {
	var m memStatus
	var found int
	for line := range strings.Lines(s) {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch key {
		case "VmHWM":
			dst = &m.HWM
		case "VmRSS":
			dst = &m.RSS
		default:
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("status: %s: unexpected value %q", key, strings.TrimSpace(val))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("status: %s: %w", key, err)
		}
		*dst = kb << 10
		found++
	}
	if found != 2 {
		return m, fmt.Errorf("status: VmHWM or VmRSS missing (a kernel thread, or the process exited)")
	}
	return m, nil
}

// readStatus reads /proc/PID/status.
func readStatus(pid int) (memStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStatus{}, err
	}
	m, err := parseStatus(string(b))
	if err != nil {
		return m, fmt.Errorf("pid %d: %w", pid, err)
	}
	return m, nil
}

// parseStatCPU returns utime+stime of /proc/PID/stat or
// /proc/PID/task/TID/stat. The command name (field 2) is in parentheses
// and may itself hold spaces and parentheses: fields are counted from the
// last ')'.
func parseStatCPU(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: utime/stime: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// procCPU returns the CPU time (user + system) a process, or with tid > 0
// one of its threads, has used.
func procCPU(pid, tid int) (time.Duration, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	if tid > 0 {
		path = fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// machineCPU is the first line of /proc/stat: the time every CPU spent
// busy, and in all, since boot.
type machineCPU struct {
	Busy, Total time.Duration
}

// parseProcStat reads the aggregate "cpu" line of /proc/stat. Idle and
// iowait count as not busy; steal counts as busy (someone else's).
func parseProcStat(s string) (machineCPU, error) {
	for line := range strings.Lines(s) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "cpu" {
			continue
		}
		if len(f) < 6 {
			return machineCPU{}, fmt.Errorf("/proc/stat: short cpu line %q", strings.TrimSpace(line))
		}
		var m machineCPU
		// user nice system idle iowait irq softirq steal (guest time is
		// already in user).
		for i, s := range f[1:min(len(f), 9)] {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return machineCPU{}, fmt.Errorf("/proc/stat: %w", err)
			}
			d := time.Duration(n) * clockTick
			m.Total += d
			if i != 3 && i != 4 {
				m.Busy += d
			}
		}
		return m, nil
	}
	return machineCPU{}, fmt.Errorf("/proc/stat: no cpu line")
}

func readMachineCPU() (machineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}, err
	}
	return parseProcStat(string(b))
}

// machine describes the computer for the results.
type machine struct {
	CPUs     int    // logical CPUs (processor entries)
	Model    string // model name of the first one
	MemTotal int64  // bytes
	Kernel   string
}

// parseCPUInfo counts processors and takes the first model name.
func parseCPUInfo(s string) (cpus int, model string) {
	for line := range strings.Lines(s) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "processor":
			cpus++
		case "model name":
			if model == "" {
				model = strings.TrimSpace(v)
			}
		}
	}
	return cpus, model
}

// parseMemTotal returns MemTotal of /proc/meminfo in bytes.
func parseMemTotal(s string) (int64, error) {
	for line := range strings.Lines(s) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != "MemTotal" {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("meminfo: MemTotal %q", strings.TrimSpace(v))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("meminfo: MemTotal: %w", err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("meminfo: no MemTotal")
}

func readMachine() machine {
	var m machine
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUs, m.Model = parseCPUInfo(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotal, _ = parseMemTotal(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// loadAvg returns the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// lastLines returns up to n last lines of a file, for error messages.
func lastLines(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	var ring []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		ring = append(ring, sc.Text())
		if len(ring) > n {
			ring = ring[1:]
		}
	}
	return strings.Join(ring, "\n")
}
