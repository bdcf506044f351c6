package keeper_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/appydex/smoke/harness/pgenv/keeper"
)

// A lease held is a resource in use; the gate is one at a time; the
// longest wish to keep holds; the state is read as written. (Spawn and
// Serve run in pgtest's shared-server tests, as a real keeper.)
func TestAFoldersLocksAndFiles(t *testing.T) {
	d := keeper.Folder(t.TempDir())
	if d.InUse() {
		t.Fatal("in use before any lease")
	}
	lease, err := d.Lease()
	if err != nil {
		t.Fatal(err)
	}
	if !d.InUse() {
		t.Error("not in use while a lease is held")
	}
	lease.Close()
	if d.InUse() {
		t.Error("in use after the lease was let go")
	}

	gate, err := d.Gate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, stop := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer stop()
	if second, err := d.Gate(waitCtx); err == nil {
		second.Close()
		t.Error("the gate was taken twice")
	}
	gate.Close()

	if _, err := d.Keep(); err == nil {
		t.Error("a wish to keep before any was made")
	}
	for _, idle := range []time.Duration{time.Hour, time.Minute} {
		if err := d.KeepAtLeast(idle); err != nil {
			t.Fatal(err)
		}
	}
	if keep, err := d.Keep(); err != nil || keep != time.Hour {
		t.Errorf("keep = %v, %v; want the longest wish, 1h", keep, err)
	}

	type state struct{ Where string }
	if err := d.WriteState(state{"here"}); err != nil {
		t.Fatal(err)
	}
	var st state
	if err := d.ReadState(&st); err != nil || st.Where != "here" {
		t.Errorf("state %+v, %v", st, err)
	}
	if err := d.Forget(); err != nil {
		t.Fatal(err)
	}
	if err := d.ReadState(&st); err == nil {
		t.Error("the state stays after Forget")
	}
}

// smoke down on a resource in use: its keeper lets it go as soon as the
// last user leaves, not after the idle time it would otherwise wait.
func TestAStopAskedWhileInUseHappensOnceUnused(t *testing.T) {
	d := keeper.Folder(t.TempDir())
	lease, err := d.Lease()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.KeepAtLeast(time.Hour); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	go d.Serve(keeper.Resource{Healthy: func() error { return nil }, Stop: func() int { close(stopped); return 0 }},
		time.Hour, t.Logf)
	if err := d.StopWhenUnused(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
		t.Fatal("stopped while a user held the lease")
	case <-time.After(500 * time.Millisecond):
	}
	lease.Close()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("still kept 10 s after its last user left, though a stop was asked")
	}
}

// A user who asks to keep the resource after a stop was asked takes the
// ask back.
func TestAKeepAfterAStopTakesItBack(t *testing.T) {
	d := keeper.Folder(t.TempDir())
	if err := d.StopWhenUnused(); err != nil {
		t.Fatal(err)
	}
	if err := d.KeepAtLeast(time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path(keeper.FileStop)); !os.IsNotExist(err) {
		t.Errorf("the stop is still asked after a later keep: %v", err)
	}
}
