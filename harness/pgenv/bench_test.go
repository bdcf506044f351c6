package pgenv_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
)

// reportMedian adds the median of samples to the benchmark's output as
// median-ms: the figure the targets name (a mean hides a noisy disk's tail).
func reportMedian(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "median-ms")
}

// BenchmarkCloneUnpooled and BenchmarkClonePooled time handing a test its
// migrated database, without and with clones made ahead (Prefetch), in one
// run so the two compare. Between two clones a test does its work — 25 ms
// here, less than most of this project's tests — and drops its clone, both
// outside the timer: the pool refills meanwhile, as it does while tests run.
func BenchmarkCloneUnpooled(b *testing.B) { benchmarkClone(b, 0) }

func BenchmarkClonePooled(b *testing.B) { benchmarkClone(b, pgtest.DefaultClonesAhead) }

func benchmarkClone(b *testing.B, ahead int) {
	// A template of its own (the files plus a marker), so that the one
	// pgtest prefetches for the other tests does not serve this one.
	fsys := copyFS(b, migrations.FS)
	fsys["bench.txt"] = &fstest.MapFile{Data: []byte(fmt.Sprint("clones ahead: ", ahead))}
	ctx := context.Background()
	tpl, err := pgtest.Server(b).Template(ctx, fsys, "migrations")
	if err != nil {
		b.Fatal(err)
	}
	tpl.Prefetch(ahead)
	var samples []time.Duration
	for b.Loop() {
		start := time.Now()
		db, err := tpl.Clone(ctx)
		if err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
		b.StopTimer()
		time.Sleep(25 * time.Millisecond) // the test
		if err := db.Drop(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportMedian(b, samples)
}

func copyFS(b *testing.B, src fs.FS) fstest.MapFS {
	fsys := fstest.MapFS{}
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(src, e.Name())
		if err != nil {
			b.Fatal(err)
		}
		fsys[e.Name()] = &fstest.MapFile{Data: data}
	}
	return fsys
}

// BenchmarkServerReady times Start until the server answers, per source;
// stopping it is outside the timer.
func BenchmarkServerReady(b *testing.B) {
	base, err := pgtest.Config()
	if err != nil {
		b.Fatal(err)
	}
	base.Logf = nil
	cases := []struct {
		name  string
		setup func(b *testing.B) pgenv.Config
	}{
		{"container", func(b *testing.B) pgenv.Config {
			if err := docker.Answers(context.Background(), os.Getenv("DOCKER_HOST")); err != nil {
				b.Skipf("no Docker Engine answers: %v", err)
			}
			cfg := base
			cfg.Source = pgenv.Container
			return cfg
		}},
		{"local-cold", func(b *testing.B) pgenv.Config {
			cfg := base
			cfg.Source = pgenv.Local
			cfg.CacheDir = "" // set per iteration: initdb every time
			return cfg
		}},
		{"local-cached", func(b *testing.B) pgenv.Config {
			cfg := base
			cfg.Source = pgenv.Local
			cfg.CacheDir = b.TempDir()
			srv, err := pgenv.Start(context.Background(), cfg) // fills the cache
			if err != nil {
				b.Fatal(err)
			}
			srv.Close(context.Background())
			return cfg
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := c.setup(b)
			ctx := context.Background()
			var samples []time.Duration
			for b.Loop() {
				if c.name == "local-cold" {
					b.StopTimer()
					cfg.CacheDir = b.TempDir()
					b.StartTimer()
				}
				start := time.Now()
				srv, err := pgenv.Start(ctx, cfg)
				if err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(start))
				b.StopTimer()
				if err := srv.Close(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			reportMedian(b, samples)
		})
	}
}

// BenchmarkTemplateMigrate times building a template from the project's
// migrations: the once-per-run cost. Each round adds a file that makes the
// hash new, so every round builds.
func BenchmarkTemplateMigrate(b *testing.B) {
	srv := pgtest.Server(b)
	ctx := context.Background()
	var samples []time.Duration
	for i := 0; b.Loop(); i++ {
		fsys := copyFS(b, migrations.FS)
		fsys["round.txt"] = &fstest.MapFile{Data: []byte(fmt.Sprint(b.N, "-", i, "-", time.Now().UnixNano()))}
		start := time.Now()
		tpl, err := srv.Template(ctx, fsys, "migrations")
		if err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
		_ = tpl
	}
	reportMedian(b, samples)
}
