package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestServesThePanelForTheAPIItIsGiven(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--api-url", "http://api.example:16110"}, func(string) string { return "" }, &out, io.Discard)
	}()
	var base string
	for range 100 {
		if m := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(out.String()); m != "" {
			base = m
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("no address in %q", out.String())
	}
	for path, want := range map[string]string{
		"/":          `<form id="signin"`,
		"/dashboard": `<button id="signout"`,
		"/config.js": `window.APPYDEX = {"api":"http://api.example:16110"};`,
		"/panel.js":  `Cannot connect to server`,
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, want a body with %q", path, resp.StatusCode, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("after the interrupt: %v", err)
	}
}

// lockedBuffer is a bytes.Buffer the command writes while the test reads.
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

func TestRefusesAnAPIURLThatIsNoURL(t *testing.T) {
	err := run(context.Background(), []string{"--api-url", "localhost:16110"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `--api-url: the panel's API URL "localhost:16110" is not an http(s)://host[:port] URL`) {
		t.Errorf("got %v", err)
	}
}
