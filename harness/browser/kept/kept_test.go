package kept

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
	"github.com/appydex/smoke/harness/owner"
)

func TestMain(m *testing.M) {
	ServeIfKeeper() // this binary, started again as a kept browser's keeper
	os.Exit(m.Run())
}

// keeperOf is the state the keeper of l published.
func keeperOf(t *testing.T, l Launch) (state, owner.Owner) {
	t.Helper()
	var st state
	require.NoError(t, folder(l).ReadState(&st))
	k, ok := owner.Parse(st.Keeper)
	require.True(t, ok, "the keeper names itself: %q", st.Keeper)
	return st, k
}

// The next run signs in with the browser the run before it started: the
// same keeper, the same DevTools endpoint, a context of its own. `smoke
// down` leaves it while a run uses it, and stops it — keeper and browser —
// once none does.
func TestAKeptBrowserServesTheNextRun(t *testing.T) {
	l := Launch{Path: browsertest.Require(t), Base: t.TempDir()}
	page := browsertest.Pages(t, map[string]string{"/": `<html><body><h1>Sign in</h1><p>No form here.</p></body></html>`})

	first, err := Attach(t.Context(), l, time.Minute)
	require.NoError(t, err)
	assert.Contains(t, first.String(), "on this host ("+l.Path+"), kept for the next run")
	st, k := keeperOf(t, l)
	assert.NotEqual(t, os.Getpid(), k.PID, "a keeper process of its own")
	first.Close()
	assert.False(t, k.Gone(), "the browser outlives the run that started it")

	second, err := Attach(t.Context(), l, time.Minute)
	require.NoError(t, err)
	again, k2 := keeperOf(t, l)
	assert.Equal(t, st.DevTools, again.DevTools, "the same browser")
	assert.Equal(t, k.PID, k2.PID, "the same keeper")
	res, err := second.SignIn(t.Context(), browser.SignInOptions{PanelURL: page + "/", Login: "admin@appydex.local", Password: "x", OTP: "000000"})
	require.NoError(t, err, "the kept browser drives a page")
	if assert.NotEmpty(t, res.Problems) {
		assert.Equal(t, browser.ClassNoForm, res.Problems[0].Class, "it read the page: %v", res.Problems)
	}

	stopped, inUse, err := Stop(t.Context(), l.Base)
	require.NoError(t, err)
	assert.Empty(t, stopped)
	assert.Len(t, inUse, 1, "in use: left, and asked to stop once unused")
	second.Close()

	stopped, _, err = Stop(t.Context(), l.Base)
	require.NoError(t, err)
	if len(stopped) == 0 { // its keeper may have stopped it already, as asked
		for deadline := time.Now().Add(10 * time.Second); !k.Gone() && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
	}
	assert.True(t, k.Gone(), "its keeper is gone")
	assert.Error(t, answers(t.Context(), st.DevTools), "and its browser with it")
}

// A keeper killed outright takes its browser with it (the kernel's
// parent-death signal), and the next run starts another.
func TestAKilledKeepersBrowserDoesNotOutliveIt(t *testing.T) {
	l := Launch{Path: browsertest.Require(t), Base: t.TempDir()}
	b, err := Attach(t.Context(), l, time.Minute)
	require.NoError(t, err)
	b.Close()
	st, k := keeperOf(t, l)
	require.NoError(t, syscall.Kill(k.PID, syscall.SIGKILL))
	for deadline := time.Now().Add(10 * time.Second); answers(t.Context(), st.DevTools) == nil && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	assert.Error(t, answers(t.Context(), st.DevTools), "the browser died with its keeper")

	b, err = Attach(t.Context(), l, time.Minute)
	require.NoError(t, err, "the next run starts another")
	b.Close()
	again, _ := keeperOf(t, l)
	assert.NotEqual(t, st.DevTools, again.DevTools)
	_, _, err = Stop(t.Context(), l.Base)
	assert.NoError(t, err)
}

// Between runs the keeper makes the next run's browser context (a spare),
// and the next run opens its tab there: the spare's own tab loads the
// page. Only one run takes a spare.
func TestTheKeeperMakesTheNextRunsContextBetweenRuns(t *testing.T) {
	l := Launch{Path: browsertest.Require(t), Base: t.TempDir()}
	page := browsertest.Pages(t, map[string]string{"/": `<html><body><h1>Sign in</h1></body></html>`})
	first, err := Attach(t.Context(), l, time.Minute)
	require.NoError(t, err)
	first.Close()
	t.Cleanup(func() { _, _, _ = Stop(context.Background(), l.Base) })

	spare := folder(l).Path(fileSpare)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(spare); err == nil {
			break
		}
	}
	data, err := os.ReadFile(spare)
	require.NoError(t, err, "the keeper made a spare while no run used the browser")
	var s browser.Spare
	require.NoError(t, json.Unmarshal(data, &s))

	second, err := Attach(t.Context(), l, time.Minute)
	require.NoError(t, err)
	defer second.Close()
	_, err = os.Stat(spare)
	assert.True(t, os.IsNotExist(err), "the run took the spare")
	_, ok := takeSpare(folder(l))
	assert.False(t, ok, "a spare is taken once")

	second.Preload(t.Context(), browser.SignInOptions{PanelURL: page + "/"})
	st, _ := keeperOf(t, l)
	var url string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && url != page+"/"; time.Sleep(20 * time.Millisecond) {
		url = tabURL(t, st.DevTools, s.Tab)
	}
	assert.Equal(t, page+"/", url, "the page loads in the spare's tab")
}

// tabURL is the address of the tab id in the browser at devtools, "" when
// it has none.
func tabURL(t *testing.T, devtools string, id target.ID) string {
	t.Helper()
	resp, err := http.Get(httpURL(devtools) + "/json/list")
	require.NoError(t, err)
	defer resp.Body.Close()
	var tabs []struct {
		ID  target.ID `json:"id"`
		URL string    `json:"url"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tabs))
	for _, tab := range tabs {
		if tab.ID == id {
			return tab.URL
		}
	}
	return ""
}
