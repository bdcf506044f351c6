package tests

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appydex/smoke/harness/pgtest"
)

// BenchmarkLoginStorm sends 200, then 1000, sign-ins at once to the
// reference API — its own process, built from cmd/appydex-api, with
// production's argon2id cost, on loopback — and reports how many were
// answered 5xx, the latency of the answers (p50, p99) and the API
// process's peak memory (VmHWM). Run it with make load; make bench skips
// it (a storm of 1000 takes half a minute). Target: no 5xx at 200 at once,
// peak under 1 GiB.
func BenchmarkLoginStorm(b *testing.B) {
	for _, n := range []int{200, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			api := startAPIProcess(b)
			var s storm
			for b.Loop() {
				s = loginStorm(b, api.url, n)
			}
			peak := api.peakMiB(b)
			b.ReportMetric(float64(s.fivexx), "5xx")
			b.ReportMetric(float64(s.refused), "503-busy")
			b.ReportMetric(float64(s.percentile(50).Milliseconds()), "p50-ms")
			b.ReportMetric(float64(s.percentile(99).Milliseconds()), "p99-ms")
			b.ReportMetric(peak, "peak-MiB")
			b.Logf("%d sign-ins at once: %d answered 200, %d 5xx (%d of them 503 busy, told to retry), %d failed to connect; p50 %s, p99 %s; the API's peak memory %.0f MiB",
				n, s.ok, s.fivexx, s.refused, s.failed, s.percentile(50).Round(time.Millisecond), s.percentile(99).Round(time.Millisecond), peak)
		})
	}
}

// apiProcess is the reference API running as its own process.
type apiProcess struct {
	url string
	cmd *exec.Cmd
}

// startAPIProcess builds cmd/appydex-api, seeds a clone of the migrated
// database, and serves the API on a free loopback port until the benchmark
// ends.
func startAPIProcess(b *testing.B) *apiProcess {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "appydex-api")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/appydex-api").CombinedOutput(); err != nil {
		b.Fatalf("build the API: %v\n%s", err, out)
	}
	db := pgtest.Clone(b)
	if out, err := exec.Command(bin, "seed", "--database-url", db.URL).CombinedOutput(); err != nil {
		b.Fatalf("seed: %v\n%s", err, out)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--database-url", db.URL,
		"--jwt-secret", hex.EncodeToString(secret), "--dev-otp", admin["otp"])
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &line) == nil && line.Msg == "serving" {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return &apiProcess{url: line.Addr, cmd: cmd}
		}
	}
	b.Fatalf("the API exited before serving")
	return nil
}

// peakMiB is the process's peak resident memory so far (VmHWM).
func (a *apiProcess) peakMiB(b *testing.B) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", a.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kib / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// storm is what n sign-ins at once got.
type storm struct {
	ok, fivexx, refused, failed int
	latencies                   []time.Duration
}

func (s storm) percentile(p int) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	return s.latencies[(len(s.latencies)-1)*p/100]
}

// loginStorm sends n sign-ins as the development admin at once, each on a
// connection of its own, and waits for every answer.
func loginStorm(b *testing.B, url string, n int) storm {
	body, _ := json.Marshal(admin)
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	var (
		mu    sync.Mutex
		s     storm
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-start
			began := time.Now()
			resp, err := client.Post(url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
			took := time.Since(began)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.failed++
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s.latencies = append(s.latencies, took)
			switch {
			case resp.StatusCode == http.StatusOK:
				s.ok++
			case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
				s.fivexx++
				s.refused++
			case resp.StatusCode >= 500:
				s.fivexx++
			default:
				b.Errorf("a sign-in answered %d", resp.StatusCode)
			}
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(s.latencies)
	if s.failed > 0 {
		b.Errorf("%d of %d sign-ins got no answer", s.failed, n)
	}
	return s
}
