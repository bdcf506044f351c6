package browser

// The scripts the harness runs in the page. They read the page the way a
// person does — visible boxes, their labels, visible messages — and mark
// what they found with data-smoke-field so the harness can type and click.

// visibleJS is a function that tells whether an element can be seen.
const visibleJS = `const visible = el => !el.hidden && !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) &&
	getComputedStyle(el).visibility !== "hidden";`

// findFormJS marks the sign-in form's boxes and button, and names the
// ones it could not find.
const findFormJS = `(() => {
	` + visibleJS + `
	const skip = ["hidden", "submit", "button", "checkbox", "radio", "image", "reset", "file"];
	const inputs = [...document.querySelectorAll("input")].filter(i => visible(i) && !skip.includes(i.type));
	const words = i => [i.name, i.id, i.autocomplete, i.placeholder, i.getAttribute("aria-label"),
		...(i.labels ? [...i.labels].map(l => l.innerText) : [])].join(" ").toLowerCase();
	const password = inputs.find(i => i.type === "password");
	const otp = inputs.find(i => i !== password && /one-time|otp|totp|2fa|mfa|verification|authenticator|\bcode\b/.test(words(i)));
	const login = inputs.find(i => i !== password && i !== otp && (i.type === "email" || i.type === "tel" || /email|phone|user|login/.test(words(i))))
		|| inputs.find(i => i !== password && i !== otp);
	const scope = (password && password.form) || document;
	const buttons = [...scope.querySelectorAll("button, input[type=submit]")].filter(visible);
	const submit = buttons.find(b => b.type === "submit") || buttons.find(b => /sign ?in|log ?in/i.test(b.innerText || b.value));
	const found = {login, password, otp, submit};
	const missing = [];
	for (const [name, el] of Object.entries(found)) {
		if (el) { el.setAttribute("data-smoke-field", name); } else { missing.push({login: "box for an email or phone", password: "password box",
			otp: "box for a one-time code", submit: "submit button"}[name]); }
	}
	return {missing};
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
