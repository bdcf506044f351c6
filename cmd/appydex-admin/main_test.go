package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appydex/smoke/app/apiserver"
)

func TestServesThePanelForTheAPIItIsGiven(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out apiserver.LogBuffer // the command writes while the test reads
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

func TestRefusesAnAPIURLThatIsNoURL(t *testing.T) {
	err := run(t.Context(), []string{"--api-url", "localhost:16110"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `--api-url: the panel's API URL "localhost:16110" is not an http(s)://host[:port] URL`) {
		t.Errorf("got %v", err)
	}
}
