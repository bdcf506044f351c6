package pgenv

import "fmt"

// The environment variables ConfigFromEnv reads. Commands offer the same
// settings as flags.
const (
	EnvSource = "SMOKE_PG_SOURCE"    // auto (default), container, local, external
	EnvImage  = "SMOKE_PG_IMAGE"     // container image, default postgres:15
	EnvURL    = "SMOKE_DATABASE_URL" // server for the external source
	EnvBinDir = "SMOKE_PG_BINDIR"    // folder of initdb and postgres for the local source
	EnvCache  = "SMOKE_PG_CACHE"     // cache folder for the local source's initdb result
)

// ConfigFromEnv reads a Config through getenv (os.Getenv, or a test's map).
// An unset SMOKE_PG_SOURCE leaves Source empty, so that a URL alone selects
// the external source (Config.Chosen).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Image:      getenv(EnvImage),
		URL:        getenv(EnvURL),
		BinDir:     getenv(EnvBinDir),
		CacheDir:   getenv(EnvCache),
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
