package browser

// Reading the page as a person does, and typing into it.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

type pageState struct {
	Path string `json:"path"`
	// Route is the path in the address's fragment of a panel that routes
	// there (#/dashboard), else "".
	Route   string   `json:"route"`
	Notices []notice `json:"notices"`
	Text    string   `json:"text"`
}

// notice is a visible message on the page; Error when it looks like one
// (role=alert, or a class that names an error, alert or danger).
type notice struct {
	Text  string `json:"text"`
	Error bool   `json:"error"`
}

// page is where the page is, as the step reports it.
func (st pageState) page() string {
	if st.Route != "" {
		return st.Path + "#" + st.Route
	}
	return st.Path
}

// baseline is what a page showed before a form on it was sent: notices it
// showed then (a banner, a hint) are not its answer, and its answer's
// dialog boxes are those opened since.
type baseline struct {
	notices []string
	dialogs int
}

func (r *recorder) baseline(tab context.Context) (baseline, error) {
	st, err := readPage(tab)
	b := baseline{dialogs: len(r.dialogLines())}
	for _, n := range st.Notices {
		b.notices = append(b.notices, n.Text)
	}
	return b, err
}

// shown is what the page says that it did not say at b: its new notices
// (only the errors among them, when errorsOnly) and the dialog boxes it
// opened since.
func (b baseline) shown(st pageState, r *recorder, errorsOnly bool) string {
	var said []string
	for _, n := range st.Notices {
		if !slices.Contains(b.notices, n.Text) && (n.Error || !errorsOnly) {
			said = append(said, n.Text)
		}
	}
	for _, d := range r.dialogLines()[b.dialogs:] {
		said = append(said, d+" (in a dialog box)")
	}
	return strings.Join(said, " | ")
}

// readPage reads where the page is and what it shows.
func readPage(tab context.Context) (pageState, error) {
	return evaluate[pageState](tab, readPageJS)
}

// evaluate runs js in the page and returns its value. A page that is
// navigating (a sign-in moving on to the dashboard, a page sending the
// browser elsewhere as it loads) has no document to run it in for a
// moment, and Chrome answers "Inspected target navigated or closed" or
// "Execution context was destroyed": the call is tried again until the
// next page is there, for up to navigationGrace.
func evaluate[T any](tab context.Context, js string) (T, error) {
	deadline := time.Now().Add(navigationGrace)
	for {
		v, err := chromedp.Run(tab, chromedp.Evaluate[T](js))
		if err == nil || !navigating(err) || time.Now().After(deadline) || !sleep(tab, pollEvery) {
			return v, err
		}
	}
}

// navigationGrace is how long a page may take to replace its document.
const navigationGrace = 5 * time.Second

// navigating reports whether err is Chrome saying the document went away
// under the call: a navigation, not a broken page.
func navigating(err error) bool {
	var ce *cdproto.Error
	return errors.As(err, &ce) && ce.Code == -32000 &&
		(strings.Contains(ce.Message, "navigated or closed") || strings.Contains(ce.Message, "context was destroyed") ||
			strings.Contains(ce.Message, "Cannot find context"))
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxShownLength {
		return string(r[:maxShownLength]) + "…"
	}
	return s
}

// pollEvery is how often a wait reads the page again: a read is a
// millisecond or two of the page's time, and a person's sign-in is over
// in a tenth of a second on loopback, so a coarser step would be most of
// the wait.
const pollEvery = 20 * time.Millisecond

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// formBoxes names the sign-in form's parts as a person would.
var formBoxes = map[string]string{
	"login":    "box for an email or phone",
	"password": "password box",
	"otp":      "box for a one-time code",
	"submit":   "submit button",
}

// signInForm is what findFormJS found and marked.
type signInForm struct {
	Missing []string `json:"missing"`
	Digits  int      `json:"digits"`
}

func findForm(tab context.Context) (signInForm, error) { return evaluate[signInForm](tab, findFormJS) }

// codeBox is the page's box for the one-time code, when it asks for the
// code after the password.
type codeBox struct {
	Found bool `json:"found"`
	// Digits is how many boxes a code split one character a box has; 0
	// when it is one box.
	Digits int `json:"digits"`
	// Path and Route are where the box was found.
	Path  string `json:"path"`
	Route string `json:"route"`
}

// Typing into the form. A page learns what a person typed from key
// events or from input events. The email and the password are put in the
// way a paste or an input method puts text: the box is focused, its text
// selected, and the whole value inserted at once — the page sees its
// input events, and one command does what takes three a character key by
// key (the typing was a fifth of the sign-in's time). A page that waits
// for key events before it lets the form be sent (a submit button enabled
// on keyup) has them typed again, key by key (send). The one-time code is
// always typed key by key: boxes that move on to the next box on a key
// are common.

// entry is a value to type into the box marked field; keys, to type it
// key by key.
type entry struct {
	field, value string
	keys         bool
}

// typeInto types the entry's value into its box, which it waits for until
// a person could see it: focused and its text selected, as a click and
// Ctrl+A would, then the value inserted at once, or typed key by key when
// keys (or e.keys).
func typeInto(e entry, keys bool) chromedp.Action[chromedp.Void] {
	js := focusJS + "(" + strconv.Quote(`[data-smoke-field="`+e.field+`"]`) + ")"
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			focused, err := chromedp.Evaluate[bool](js)(ctx, t)
			if err != nil && !navigating(err) {
				return err
			}
			if focused {
				break
			}
			if !sleep(ctx, pollEvery) {
				return ctx.Err()
			}
		}
		if keys || e.keys {
			_, err := chromedp.KeyEvent(e.value)(ctx, t)
			return err
		}
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: e.value})
		return err
	})
}

// typeCode is the one-time code to type: into its marked box, or a
// character into each of digits boxes when the page splits it so.
func typeCode(code string, digits int) ([]entry, error) {
	if digits == 0 {
		return []entry{{field: "otp", value: code, keys: true}}, nil
	}
	chars := []rune(code)
	if len(chars) != digits {
		return nil, fmt.Errorf("asks for the one-time code in %d boxes, a character each, but the code given has %d characters", digits, len(chars))
	}
	typing := make([]entry, len(chars))
	for k, c := range chars {
		typing[k] = entry{field: fmt.Sprintf("otp-%d", k), value: string(c), keys: true}
	}
	return typing, nil
}
