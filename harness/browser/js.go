package browser

// The scripts the harness runs in the page. They read the page the way a
// person does — visible boxes, their labels, visible messages — and mark
// what they found with data-smoke-field so the harness can type and click.

// visibleJS is a function that tells whether an element can be seen.
const visibleJS = `const visible = el => !el.hidden && !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) &&
	getComputedStyle(el).visibility !== "hidden";`

// boxesJS reads the page's visible boxes: inputs, the words around each
// (name, id, autocomplete, placeholder, label), the password box; codeLike
// tells a box for a one-time code by its words, and split is a code asked
// one character a box (four or more boxes that take one character each),
// or null. mark labels what was found with data-smoke-field, a split
// code's boxes as otp-0, otp-1, ….
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
	const mark = found => {
		for (const el of document.querySelectorAll("[data-smoke-field]")) { el.removeAttribute("data-smoke-field"); }
		for (const [name, el] of Object.entries(found)) {
			if (Array.isArray(el)) { el.forEach((box, k) => box.setAttribute("data-smoke-field", name + "-" + k)); }
			else if (el) { el.setAttribute("data-smoke-field", name); }
		}
	};`

// findFormJS marks the sign-in form's boxes and button; it names the ones
// it could not find (login, password, otp, submit), and how many boxes a
// code split one character a box has (0 when it is one box).
const findFormJS = `(() => {
	` + boxesJS + `
	const otp = split || inputs.find(codeLike);
	const isCode = i => split ? split.includes(i) : i === otp;
	const login = inputs.find(i => i !== password && !isCode(i) && (i.type === "email" || i.type === "tel" || /email|phone|user|login/.test(words(i))))
		|| inputs.find(i => i !== password && !isCode(i));
	const buttons = buttonsOf((password && password.form) || document);
	const submit = buttons.find(b => b.type === "submit") || buttons.find(b => /sign ?in|log ?in/i.test(b.innerText || b.value));
	const found = {login, password, otp, submit};
	mark(found);
	return {missing: Object.keys(found).filter(name => !found[name]), digits: split ? split.length : 0};
})()`

// findCodeJS marks the box (or boxes) for the one-time code that a panel
// asks for after the email and password — on a page of its own, or in
// place of the first form — and the button that sends it; found is false
// while there is none. A box is the code's by its words, or as the one box
// of a page without a password box.
const findCodeJS = `(() => {
	` + boxesJS + `
	const otp = split || inputs.find(codeLike) || (!password && inputs.length === 1 ? inputs[0] : undefined);
	if (!otp) { return {found: false}; }
	const buttons = buttonsOf((split ? split[0] : otp).form || document);
	const submit = buttons.find(b => b.type === "submit") ||
		buttons.find(b => /verify|confirm|continue|submit|next|sign ?in|log ?in/i.test(b.innerText || b.value));
	if (!submit) { return {found: false}; }
	mark({otp, submit});
	return {found: true, digits: split ? split.length : 0};
})()`

// readPageJS is where the page is and what it says: its visible error or
// notice text, and the start of all its visible text.
const readPageJS = `(() => {
	` + visibleJS + `
	const shown = [];
	const notices = "[role=alert], [role=status], [aria-live], .error, .alert, .toast, .notification, [class*=error], [class*=alert]";
	for (const el of document.querySelectorAll(notices)) {
		const t = visible(el) ? el.innerText.trim() : "";
		if (t && !shown.some(s => s.includes(t))) { shown.push(t); }
	}
	return {path: location.pathname, shown: shown.join(" | "), text: document.body ? document.body.innerText.trim().slice(0, 1000) : ""};
})()`

// findSignOutJS marks the page's sign-out control.
const findSignOutJS = `(() => {
	` + visibleJS + `
	const el = [...document.querySelectorAll("button, a, [role=button], input[type=button], input[type=submit]")]
		.find(e => visible(e) && /sign ?out|log ?out/i.test(e.innerText || e.value || ""));
	if (el) { el.setAttribute("data-smoke-field", "signout"); }
	return !!el;
})()`
