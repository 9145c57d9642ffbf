// Who is at this screen: sign-in with a name and a PIN on large keys, the lock (after the
// site's idle time, or the Lock button: a badge-out), handover, and the first administrator.
// The badge lives in this page only (sessionStorage): a shared screen is signed in, not a
// browser. The sign-in covers the screens, never the rail: STOP, PAUSE and the alarms work.
const $ = (id) => document.getElementById(id);

export function keypad(container, input) {
  const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "clear"];
  container.innerHTML = keys.map((k) => `<button type="button" data-key="${k}">${k}</button>`).join("");
  container.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
    const k = b.dataset.key;
    input.value = k === "⌫" ? input.value.slice(0, -1) : k === "clear" ? "" : input.value + k;
    input.focus();
  }));
}

export class People {
  constructor(send) {
    this.send = send;
    this.tr = (text, values = {}) => text.replace(/\{(\w+)\}/g, (w, k) => (k in values ? String(values[k]) : w));  // the page's words (console.js sets its catalogue)
    this.said = (text) => text;
    this.badge = sessionStorage.getItem("badge");
    this.user = null; this.role = null;
    this.accounts = null; // unknown until the table says (whoami, or a screen update)
    this.locked = false; this.lockAfterS = 120; this.touched = Date.now();
    this.first = false;
    keypad($("si-keys"), $("si-pin"));
    $("si-pin").addEventListener("focus", () => { this.pinTarget = $("si-pin"); });
    $("si-ok").addEventListener("click", () => this.submit());
    $("si-open").addEventListener("click", () => { this.first = false; this.show(); });
    $("btn-lock").addEventListener("click", () => this.lock("locked by its holder"));
    $("btn-first-admin").addEventListener("click", () => { this.first = true; this.show(); });
    this.sentTouch = 0;
    for (const e of ["pointerdown", "keydown"]) document.addEventListener(e, () => this.touch(), true);
    setInterval(() => this.idle(), 1000);
  }

  // the table's word on accounts, from every screen update
  table(t) {
    // once a table has accounts it keeps them (the last administrator cannot go), so a
    // screen update read before this page's own question never opens the table again
    if (t.accounts && this.accounts !== true) {
      this.accounts = true; this.show();
      this.send("whoami", { badge: this.badge });  // the names to tap
    }
  }

  // one key per person who may sign in: tap your name, then the PIN
  names(list) {
    $("si-names").innerHTML = list.map((n) => `<button type="button" class="name">${n.replace(/[&<>"]/g, "")}</button>`).join("");
    $("si-names").querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
      $("si-name").value = b.textContent;
      $("si-names").querySelectorAll("button").forEach((x) => x.classList.toggle("sel", x === b));
      $("si-pin").focus();
    }));
  }

  submit() {
    const name = $("si-name").value.trim(), pin = $("si-pin").value;
    if (this.first) {
      if (pin !== $("si-pin2").value) { $("si-error").textContent = this.tr("the two PINs differ"); return; }
      this.send("first_administrator", { name, pin });
    } else this.send("sign_in", { name, pin, badge: this.badge });
    $("si-pin").value = ""; $("si-pin2").value = "";
  }

  lock(why) {
    if (!this.badge || this.locked) return;
    this.locked = true; this.why = why;
    this.send("lock", { badge: this.badge });
    this.show();
  }

  // a touch restarts the idle time here and, at most every 15 s, in the control process
  touch() {
    this.touched = Date.now();
    if (this.accounts && this.badge && !this.locked && this.touched - this.sentTouch > 15000) {
      this.sentTouch = this.touched;
      this.send("touch", { badge: this.badge });
    }
  }

  idle() {
    if (this.accounts && this.badge && !this.locked && Date.now() - this.touched > this.lockAfterS * 1000) {
      this.lock(this.tr("locked after {minutes} min untouched", { minutes: Math.round(this.lockAfterS / 60) }));
    }
  }

  onReply(m) {
    if (m.op === "whoami" && m.ok) {
      this.accounts = m.accounts; this.lockAfterS = m.lock_after_s;
      if (m.user) { this.user = m.user; this.role = m.role; this.language = m.language; } else { this.badge = null; this.language = null; sessionStorage.removeItem("badge"); }
      if (this.onLanguage) this.onLanguage(this.language);
      this.names(m.names || []);
      this.show(); return true;
    }
    if (m.op === "sign_in" || m.op === "first_administrator") {
      if (!m.ok) { $("si-error").textContent = this.said(m.error); return true; }
      this.badge = m.badge; sessionStorage.setItem("badge", m.badge);
      this.user = m.user; this.role = m.role; this.lockAfterS = m.lock_after_s; this.language = m.language;
      if (this.onLanguage) this.onLanguage(this.language);
      this.locked = false; this.first = false; this.accounts = true; this.touched = Date.now();
      $("si-error").textContent = ""; $("si-name").value = "";
      $("reply").textContent = m.handover_from ? this.tr("handover from {who} recorded", { who: m.handover_from }) : "";
      this.show(); return true;
    }
    // a request the server found locked (its own idle count): show the sign-in
    if (!m.ok && m.error && (m.error.startsWith("the screen is locked") || m.error.startsWith("sign in first"))) {
      this.locked = true; this.why = m.error; this.show();
    }
    return m.op === "lock" || m.op === "touch";
  }

  // a request in a person's name cannot be made from this screen now
  blocked() { return this.accounts === true && !(this.badge && this.user && !this.locked); }

  show() {
    const accounts = this.accounts === true;
    const signedIn = accounts && this.badge && this.user && !this.locked;
    const needed = (accounts && !signedIn) || this.first;
    $("signin").hidden = !needed;
    $("operator-box").hidden = accounts;
    $("who").hidden = !(accounts && this.user);
    $("btn-lock").hidden = !signedIn;
    $("who-name").textContent = this.user || "";
    $("who-role").textContent = this.role ? `${this.said(this.role)}${this.locked ? ` · ${this.tr("locked")}` : ""}` : "";
    if (this.blocked()) {  // at once, not at the next screen update: nothing in a person's name
      for (const id of ["btn-resume", "btn-force-up", "btn-force-down"]) $(id).disabled = true;
    }
    if (needed) $("si-names").querySelectorAll("button").forEach((b) => b.classList.remove("sel"));
    $("si-again-row").hidden = !this.first;
    $("si-open").hidden = !this.first;
    const tr = this.tr;
    $("si-ok").textContent = this.first ? tr("Create and sign in") : tr("Sign in");
    $("si-title").textContent = this.first ? tr("The first administrator") : this.locked ? tr("Locked") : accounts ? tr("Sign in") : tr("No accounts yet");
    $("si-why").textContent = this.first
      ? tr("The table's first account: it adds the technicians, physiotherapists and service engineers. There is no default PIN.")
      : this.locked ? tr("{why}: {who} was signed in. Sign in to go on; another person signing in takes over.", { why: this.said(this.why) || tr("locked"), who: this.user || tr("someone") })
      : tr("Every action is recorded in the name of the person signed in.");
  }
}
