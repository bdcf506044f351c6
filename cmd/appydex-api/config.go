package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/appydex/smoke/app/apiserver"
)

// config is the API's settings.
type config struct {
	DatabaseURL string
	Addr        string
	JWTSecret   string
	DevOTP      string
	AccessTTL   time.Duration
	RefreshTTL  time.Duration
	Issuer      string
	Audience    string
	CORSOrigins []string
}

// DefaultCORSOrigins are the admin panel's origins (appydex-admin's port).
const DefaultCORSOrigins = "http://localhost:42319,http://127.0.0.1:42319"

func parseConfig(command string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c config
	var access, refresh, origins string
	fs := flag.NewFlagSet("appydex-api "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DatabaseURL, "database-url", env("APPYDEX_DATABASE_URL", ""), "PostgreSQL URL ($APPYDEX_DATABASE_URL)")
	fs.StringVar(&c.Addr, "addr", env("APPYDEX_ADDR", apiserver.DefaultAddr), "listen address ($APPYDEX_ADDR)")
	fs.StringVar(&c.JWTSecret, "jwt-secret", env("APPYDEX_JWT_SECRET", ""), "HS256 key, at least 32 bytes ($APPYDEX_JWT_SECRET)")
	fs.StringVar(&c.DevOTP, "dev-otp", env("APPYDEX_DEV_OTP", ""), "static one-time code for development; none by default ($APPYDEX_DEV_OTP)")
	fs.StringVar(&access, "access-ttl", env("APPYDEX_ACCESS_TTL", apiserver.DefaultAccessTTL.String()), "access token lifetime ($APPYDEX_ACCESS_TTL)")
	fs.StringVar(&refresh, "refresh-ttl", env("APPYDEX_REFRESH_TTL", apiserver.DefaultRefreshTTL.String()), "a session's absolute lifetime ($APPYDEX_REFRESH_TTL)")
	fs.StringVar(&c.Issuer, "issuer", env("APPYDEX_ISSUER", apiserver.DefaultIssuer), "JWT issuer ($APPYDEX_ISSUER)")
	fs.StringVar(&c.Audience, "audience", env("APPYDEX_AUDIENCE", apiserver.DefaultAudience), "JWT audience ($APPYDEX_AUDIENCE)")
	fs.StringVar(&origins, "cors-origins", env("APPYDEX_CORS_ORIGINS", DefaultCORSOrigins),
		"comma-separated origins whose pages may call the API, the admin panel's; \"\" for none ($APPYDEX_CORS_ORIGINS)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("set --database-url or APPYDEX_DATABASE_URL (postgres://user:password@host:5432/appydex)"))
	}
	for o := range strings.SplitSeq(origins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("--cors-origins: %q is not an origin: want scheme://host[:port], e.g. http://localhost:42319", o))
			continue
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
	var err error
	if c.AccessTTL, err = time.ParseDuration(access); err != nil || c.AccessTTL <= 0 {
		errs = append(errs, fmt.Errorf("--access-ttl %q: want a positive duration such as 15m", access))
	}
	if c.RefreshTTL, err = time.ParseDuration(refresh); err != nil || c.RefreshTTL <= 0 {
		errs = append(errs, fmt.Errorf("--refresh-ttl %q: want a positive duration such as 168h", refresh))
	}
	if command == "serve" && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("set --jwt-secret or APPYDEX_JWT_SECRET to at least 32 bytes (e.g. openssl rand -hex 32)"))
	}
	return c, errors.Join(errs...)
}
