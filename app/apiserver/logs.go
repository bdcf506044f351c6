package apiserver

import (
	"bytes"
	"strings"
	"sync"
)

// LogBuffer keeps what an in-process API logs (Config.Log), for the tests
// and commands that show the lines explaining a failure — or any log output
// written from many goroutines while another reads it (appydex-admin's test).
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends log output; the API writes from many goroutines.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything logged so far, one JSON object per line.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Find returns the lines holding every one of substrings.
func (l *LogBuffer) Find(substrings ...string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		all := line != ""
		for _, s := range substrings {
			all = all && strings.Contains(line, s)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}
