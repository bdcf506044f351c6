// Command appydex-admin serves the reference admin panel: a sign-in page
// and a dashboard that call the appydex API from the browser.
//
//	appydex-admin [--addr :42319] [--api-url http://localhost:16110]
//
//	--addr     APPYDEX_ADMIN_ADDR  listen address (default :42319, the incident's port)
//	--api-url  APPYDEX_API_URL     the API the pages call (default http://localhost:16110)
//
// The API must allow the panel's origin: appydex-api does for
// http://localhost:42319 by default (--cors-origins).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/appydex/smoke/app/adminpanel"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "appydex-admin:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("appydex-admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", env("APPYDEX_ADMIN_ADDR", adminpanel.DefaultAddr), "listen address ($APPYDEX_ADMIN_ADDR)")
	apiURL := fs.String("api-url", env("APPYDEX_API_URL", "http://localhost:16110"), "the API the pages call ($APPYDEX_API_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	handler, err := adminpanel.Handler(*apiURL)
	if err != nil {
		return fmt.Errorf("--api-url: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "appydex-admin: the panel on http://%s, calling the API at %s\n", ln.Addr(), *apiURL)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
