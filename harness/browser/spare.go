package browser

// Spares: a browser context with its blank tab, made ahead of the sign-in
// that takes it, by whoever has the time for it.

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Spare is a browser context — a fresh profile: no cookies, storage or
// cache — with a blank tab in it, made by MakeSpare ahead of the sign-in
// that takes it (UseSpare). Making one starts a renderer process, the
// larger part of opening a tab: the keeper of a kept browser (package
// kept) makes the next run's while no run uses the browser, so a warm run
// does not wait for it. It is the same fresh profile as a context made
// for the sign-in.
type Spare struct {
	Context cdp.BrowserContextID `json:"context"`
	Tab     target.ID            `json:"tab"`
}

// MakeSpare makes a spare in b. It outlives this connection to the
// browser: the sign-in that takes it disposes of it.
func (b *Browser) MakeSpare(ctx context.Context) (Spare, error) {
	ctx, cancel := within(b.ctx, ctx)
	defer cancel()
	bc, err := chromedp.CallBrowser(ctx, target.CreateBrowserContext, target.CreateBrowserContextParams{})
	if err != nil {
		return Spare{}, fmt.Errorf("make a browser context: %w", err)
	}
	t, err := chromedp.CallBrowser(ctx, target.CreateTarget, target.CreateTargetParams{URL: "about:blank", BrowserContextID: bc.BrowserContextID, NewWindow: new(true)})
	if err != nil {
		b.dispose(bc.BrowserContextID)
		return Spare{}, fmt.Errorf("open a tab in a browser context of its own: %w", err)
	}
	return Spare{Context: bc.BrowserContextID, Tab: t.TargetID}, nil
}

// UseSpare gives b a spare to open its next tab in (SignIn's or
// Preload's), instead of making a context then; one given before and not
// taken is disposed of. A spare that went by then is passed over.
func (b *Browser) UseSpare(s Spare) {
	b.mu.Lock()
	old := b.spare
	b.spare = &s
	b.mu.Unlock()
	if old != nil {
		b.dispose(old.Context)
	}
}

// Discard disposes of a spare no sign-in will take.
func (b *Browser) Discard(s Spare) { b.dispose(s.Context) }

// BrowserContexts are the browser contexts open in b (each sign-in's, and
// spares): what a leak would leave.
func (b *Browser) BrowserContexts(ctx context.Context) ([]cdp.BrowserContextID, error) {
	ctx, cancel := within(b.ctx, ctx)
	defer cancel()
	res, err := chromedp.CallBrowser(ctx, target.GetBrowserContexts, cdp.Empty{})
	return res.BrowserContextIDs, err
}

// takeSpare is the spare UseSpare gave, once; nil when there is none.
func (b *Browser) takeSpare() *Spare {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.spare
	b.spare = nil
	return s
}

// within is the chromedp context bctx, ended with ctx too.
func within(bctx, ctx context.Context) (context.Context, func()) {
	c, cancel := context.WithCancel(bctx)
	stop := context.AfterFunc(ctx, cancel)
	return c, func() { stop(); cancel() }
}

// dispose disposes of the browser context bc, which closes its tabs.
func (b *Browser) dispose(bc cdp.BrowserContextID) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	_, _ = chromedp.CallBrowser(ctx, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: bc})
}
