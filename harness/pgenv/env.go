package pgenv

import (
	"fmt"
	"strings"
	"time"
)

// The environment variables ConfigFromEnv reads. Commands offer the same
// settings as flags.
const (
	EnvSource = "SMOKE_PG_SOURCE"    // auto (default), container, local, external
	EnvImage  = "SMOKE_PG_IMAGE"     // container image, default postgres:15
	EnvURL    = "SMOKE_DATABASE_URL" // server for the external source
	EnvBinDir = "SMOKE_PG_BINDIR"    // folder of initdb and postgres for the local source
	EnvCache  = "SMOKE_PG_CACHE"     // cache folder for the local source's initdb result
	// EnvSharedDir is where shared servers keep their folders (Config.SharedDir).
	EnvSharedDir = "SMOKE_PG_SHARED_DIR"
	// EnvReuse keeps the server after the run, for the next one to attach
	// to: 1 (for DefaultIdle) or how long it may wait unused ("2h").
	EnvReuse = "SMOKE_REUSE"
	// EnvShare set to 0 gives each test binary a server of its own,
	// instead of one shared by the packages of a go test ./....
	EnvShare = "SMOKE_PG_SHARE"
)

// ReuseFromEnv reads SMOKE_REUSE: whether to keep the server after the run,
// and for how long it may wait unused.
func ReuseFromEnv(getenv func(string) string) (ShareOptions, error) {
	return ParseReuse(getenv(EnvReuse))
}

// ParseReuse reads a reuse setting: "", 0 or false (do not keep), 1 or
// true (keep for DefaultIdle), or a duration ("45m").
func ParseReuse(v string) (ShareOptions, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no":
		return ShareOptions{}, nil
	case "1", "true", "yes":
		return ShareOptions{Keep: true, Idle: DefaultIdle}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return ShareOptions{}, fmt.Errorf("%s=%q: give 1 (keep the server for %s after the run), 0, or how long to keep it, e.g. 2h", EnvReuse, v, DefaultIdle)
	}
	return ShareOptions{Keep: true, Idle: d}, nil
}

// ConfigFromEnv reads a Config through getenv (os.Getenv, or a test's map).
// An unset SMOKE_PG_SOURCE leaves Source empty, so that a URL alone selects
// the external source (Config.Chosen).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Image:      getenv(EnvImage),
		URL:        getenv(EnvURL),
		BinDir:     getenv(EnvBinDir),
		CacheDir:   getenv(EnvCache),
		SharedDir:  getenv(EnvSharedDir),
		DockerHost: getenv("DOCKER_HOST"),
	}
	if name := getenv(EnvSource); name != "" {
		src, err := ParseSource(name)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvSource, err)
		}
		cfg.Source = src
	}
	return cfg, nil
}
