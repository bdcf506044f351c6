package keeper_test

import (
	"context"
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
