package browser

// The scripts the harness runs in the page. They read the page the way a
// person does — visible boxes, their labels, visible messages — and mark
// what they found with data-smoke-field so the harness can type and click.

// visibleJS is a function that tells whether a person can see an element:
// not hidden, larger than the one-pixel boxes made for screen readers
// (a router's announcer, a "skip to content" link), not clipped away, not
// transparent, and not pushed off the page as a bot trap is.
const visibleJS = `const visible = el => {
	if (el.hidden || el.closest("[aria-hidden=true]")) { return false; }
	const r = el.getBoundingClientRect(), st = getComputedStyle(el);
	return r.width > 2 && r.height > 2 && r.right > 0 && r.bottom > 0 && st.visibility !== "hidden" &&
		Number(st.opacity) > 0 && !/rect\(0(px)?,? 0(px)?,? 0(px)?,? 0(px)?\)/.test(st.clip) && st.clipPath !== "inset(50%)";
};`

// boxesJS reads the page's visible boxes: inputs, the words around each
// (name, id, autocomplete, placeholder, label), the password box; codeLike
// tells a box for a one-time code by its words, and split is a code asked
// one character a box (four or more boxes that take one character each),
// or null. mark labels what was found with data-smoke-field, a split
// code's boxes as otp-0, otp-1, …, and empties the boxes it labels (what
// a page put in them, or a first try's typing).
const boxesJS = visibleJS + `
	const skip = ["hidden", "submit", "button", "checkbox", "radio", "image", "reset", "file"];
	const inputs = [...document.querySelectorAll("input")].filter(i => visible(i) && !skip.includes(i.type));
	const words = i => [i.name, i.id, i.autocomplete, i.placeholder, i.getAttribute("aria-label"),
		...(i.labels ? [...i.labels].map(l => l.innerText) : [])].join(" ").toLowerCase();
	const password = inputs.find(i => i.type === "password");
	const codeLike = i => i !== password && /one-time|otp|totp|2fa|mfa|verification|authenticator|\bcode\b/.test(words(i));
	const single = inputs.filter(i => i !== password && i.maxLength === 1);
	const split = single.length >= 4 ? single : null;
	const buttonsOf = scope => [...scope.querySelectorAll("button, input[type=submit]")].filter(visible);
	// pick chooses the button that sends what was typed: in a form, one
	// declared a submit button, else one whose words say so, else the form's
	// default; outside a form (a page that sends with a script), only by its
	// words, as a <button> outside a form still calls itself "submit".
	const pick = (scope, said) => {
		const buttons = buttonsOf(scope), saysSo = b => said.test(b.innerText || b.value || b.getAttribute("aria-label") || "");
		const declared = b => (b.getAttribute("type") || "").toLowerCase() === "submit";
		return scope === document ? buttons.find(saysSo) || buttons.find(declared)
			: buttons.find(declared) || buttons.find(saysSo) || buttons.find(b => b.type === "submit");
	};
	const mark = found => {
		for (const el of document.querySelectorAll("[data-smoke-field]")) { el.removeAttribute("data-smoke-field"); }
		const label = (el, name) => { el.setAttribute("data-smoke-field", name); if (el.tagName === "INPUT" && el.type !== "submit") { el.value = ""; } };
		for (const [name, el] of Object.entries(found)) {
			if (Array.isArray(el)) { el.forEach((box, k) => label(box, name + "-" + k)); }
			else if (el) { label(el, name); }
		}
	};`

// whereJS is where the page is: its path, and the route of a panel that
// routes in the address's fragment (#/dashboard).
const whereJS = `const where = () => ({path: location.pathname, route: location.hash.startsWith("#/") ? location.hash.slice(1).split("?")[0] : ""});`

// findFormJS marks the sign-in form's boxes and button; it names the ones
// it could not find (login, password, otp, submit), and how many boxes a
// code split one character a box has (0 when it is one box).
const findFormJS = `(() => {
	` + boxesJS + `
	const otp = split || inputs.find(codeLike);
	const isCode = i => split ? split.includes(i) : i === otp;
	const login = inputs.find(i => i !== password && !isCode(i) && (i.type === "email" || i.type === "tel" || /email|phone|user|login/.test(words(i))))
		|| inputs.find(i => i !== password && !isCode(i));
	const submit = pick((password && password.form) || document, /sign ?in|log ?in|continue|next|submit/i);
	const found = {login, password, otp, submit};
	mark(found);
	return {missing: Object.keys(found).filter(name => !found[name]), digits: split ? split.length : 0};
})()`

// findCodeJS marks the box (or boxes) for the one-time code that a panel
// asks for after the email and password — on a page of its own, or in
// place of the first form — and the button that sends it; found is false
// while there is none. A box is the code's by its words, or as the one box
// of a page without a password box. It says where the box was found: the
// page may have moved on since it was last read.
const findCodeJS = `(() => {
	` + boxesJS + whereJS + `
	const otp = split || inputs.find(codeLike) || (!password && inputs.length === 1 ? inputs[0] : undefined);
	if (!otp) { return {found: false}; }
	const submit = pick((split ? split[0] : otp).form || document, /verify|confirm|continue|submit|next|sign ?in|log ?in/i);
	if (!submit) { return {found: false}; }
	mark({otp, submit});
	return {found: true, digits: split ? split.length : 0, ...where()};
})()`

// readPageJS is where the page is — its path, and the route of a panel
// that routes in the address's fragment (#/dashboard) — and what it says:
// its visible error or notice texts, and the start of all its visible text.
const readPageJS = `(() => {
	` + visibleJS + whereJS + `
	const notices = [];
	const selector = "[role=alert], [role=status], [aria-live], .error, .alert, .toast, .notification, [class*=error], [class*=alert]";
	const errorLike = el => el.getAttribute("role") === "alert" || /error|alert|danger|invalid/i.test(el.className || "");
	for (const el of document.querySelectorAll(selector)) {
		const t = visible(el) ? el.innerText.trim() : "";
		if (t && !notices.some(n => n.text.includes(t))) { notices.push({text: t, error: errorLike(el)}); }
	}
	return {...where(), notices, text: document.body ? document.body.innerText.trim().slice(0, 1000) : ""};
})()`

// hideCodeJS draws the one-time code's box (or boxes) as dots, as a
// password box is drawn, for a screenshot.
const hideCodeJS = `(() => {
	for (const el of document.querySelectorAll('[data-smoke-field^="otp"]')) { el.style.setProperty("-webkit-text-security", "disc"); }
	return true;
})()`

// findSignOutJS marks the page's sign-out control.
const findSignOutJS = `(() => {
	` + visibleJS + `
	const el = [...document.querySelectorAll("button, a, [role=button], input[type=button], input[type=submit]")]
		.find(e => visible(e) && /sign ?out|log ?out/i.test(e.innerText || e.value || ""));
	if (el) { el.setAttribute("data-smoke-field", "signout"); }
	return !!el;
})()`

// focusJS is a function that focuses the box its selector names, as a
// click on it would, and selects its text, so that what is typed next
// replaces it; false while there is no such box a person could see and
// type into.
const focusJS = `((sel) => {
	` + visibleJS + `
	const el = document.querySelector(sel);
	if (!el || !visible(el) || el.disabled || el.readOnly) { return false; }
	el.scrollIntoView({block: "center", inline: "center"});
	el.focus();
	if (document.activeElement !== el) { return false; }
	if (typeof el.select === "function") { el.select(); }
	return true;
})`

// submitDisabledJS tells whether the marked submit button is disabled.
const submitDisabledJS = `(() => {
	const b = document.querySelector('[data-smoke-field="submit"]');
	return !!b && (b.disabled || b.getAttribute("aria-disabled") === "true");
})()`

// contentJS is the signed-in page's visible text beyond its navigation,
// its controls and its notices: what the person came for. Empty on a
// page that shows nothing but a menu and a "Log out".
const contentJS = `(() => {
	` + visibleJS + `
	const aside = "nav, header, footer, aside, [role=navigation], [role=banner], [role=contentinfo], [role=complementary], " +
		"button, a, [role=button], input, select, textarea, label, option, script, style, noscript, template, " +
		"[role=alert], [role=status], [aria-live]";
	const parts = [];
	if (document.body) {
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const t = n.textContent.trim(), el = n.parentElement;
			if (t && el && !el.closest(aside) && visible(el)) { parts.push(t); }
		}
	}
	return parts.join(" ").slice(0, 300);
})()`

// storageJS reads what a script of the page's origin can read back later:
// localStorage and sessionStorage (key=value), document.cookie (the
// cookies that are not HttpOnly), and every IndexedDB store's records as
// JSON. It runs as a promise (IndexedDB answers in callbacks).
const storageJS = `(async () => {
	const dump = s => { const out = []; try { for (let i = 0; i < s.length; i++) { const k = s.key(i); out.push(k + "=" + s.getItem(k)); } } catch (e) {} return out; };
	const out = {local: dump(window.localStorage), session: dump(window.sessionStorage), cookies: "", indexeddb: []};
	try { out.cookies = document.cookie || ""; } catch (e) {}
	try {
		const dbs = indexedDB.databases ? await indexedDB.databases() : [];
		for (const d of dbs) {
			const db = await new Promise((ok, no) => { const r = indexedDB.open(d.name); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
			for (const name of db.objectStoreNames) {
				const all = await new Promise(ok => {
					const q = db.transaction(name, "readonly").objectStore(name).getAll();
					q.onsuccess = () => ok(q.result); q.onerror = () => ok([]);
				});
				out.indexeddb.push(d.name + "/" + name + "=" + JSON.stringify(all).slice(0, 65536));
			}
			db.close();
		}
	} catch (e) {}
	return out;
})()`
