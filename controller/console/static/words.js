// The page's words in the clinic's language (controller/words/locale/*/traction.po, served as
// JSON at /api/words/LANG): the English words are the message ids, so a word a catalogue lacks
// shows in English, never as an id. The page's own text and placeholders are replaced in place,
// and back again when the language changes (the site's, or the signed-in person's).
export class Words {
  constructor(load) {
    this.load = load;  // (language) => Promise<{english: translated}>
    this.lang = "en";
    this.table = {};
  }

  async use(lang) {
    this.wanted = lang;  // the last asked wins, whichever catalogue arrives first
    if (!lang || lang === this.lang) return;
    const next = lang === "en" ? {} : await this.load(lang);
    if (this.wanted !== lang) return;
    const back = Object.fromEntries(Object.entries(this.table).map(([en, shown]) => [shown, en]));
    this.table = next;
    this.templates = templates(next);
    this.lang = lang;
    document.documentElement.lang = lang;
    const swap = (text) => {
      const key = text.replace(/\s+/g, " ").trim();
      if (!key) return text;
      const english = back[key] ?? key;
      const shown = next[english] ?? english;
      if (shown === key) return text;
      const lead = text.match(/^\s*/)[0], trail = text.match(/\s*$/)[0];
      return lead + shown + trail;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement && ["SCRIPT", "STYLE"].includes(n.parentElement.tagName)) continue;
      const swapped = swap(n.nodeValue);
      if (swapped !== n.nodeValue) n.nodeValue = swapped;
    }
    for (const el of document.querySelectorAll("[placeholder]")) el.placeholder = swap(el.placeholder);
    if (this.onChange) this.onChange();  // what the page wrote itself, written again
  }

  // words the page writes itself, with {name} parts filled from `values`
  t(words, values = {}) {
    const shown = this.table[words] ?? words;
    return shown.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  // words the table wrote in English (alarms, events, states): the catalogue's entry; or one of
  // its templates ("paused by {who}: holding the force"), each part said again ("operator Ann");
  // or a quantity ("12.5 mm") with the language's decimal sign and unit (catalogue.py's said)
  said(text, depth = 0) {
    if (this.lang === "en" || text === null || text === undefined || text === "") return text;
    if (this.table[text]) return this.table[text];
    const q = QUANTITY.exec(text);
    if (q) return q[1].replace(".", this.decimalSign()) + q[2] + this.t(q[3]);
    if (depth > 0 && NUMBER.test(text)) return text.replace(".", this.decimalSign());  // a part
    if (depth >= MAX_DEPTH) return text;
    for (const { re, names, shown } of this.templates || []) {
      const m = re.exec(text);
      if (m) return shown.replace(/\{(\w+)\}/g, (whole, name) => (names.includes(name) ? this.said(m[names.indexOf(name) + 1], depth + 1) : whole));
    }
    return text;
  }

  // a unit's symbol in the language ("Н" for N in Russian)
  unit(symbol) {
    return this.t(symbol);
  }

  decimalSign() {  // the language's, found once per language
    if (this.decimalOf !== this.lang) {
      this.decimal = new Intl.NumberFormat(this.lang).formatToParts(1.5).find((p) => p.type === "decimal").value;
      this.decimalOf = this.lang;
    }
    return this.decimal;
  }

  // numbers and dates as the language writes them (45,0 in German and Russian)
  number(value, digits) {
    return new Intl.NumberFormat(this.lang === "en" ? "en-GB" : this.lang, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false }).format(value);
  }
}

const UNITS = ["N/mm", "N/s", "N/m", "kgf", "lbf", "kg", "lb", "mm", "cm", "uV", "Hz", "deg", "min", "N", "s", "%"];
const QUANTITY = new RegExp(`^([-+]?\\d+(?:\\.\\d+)?)( ?)(${UNITS.map((u) => u.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})$`);
const NUMBER = /^[-+]?\d+\.\d+$/;
const MAX_DEPTH = 3;  // parts of parts of parts: enough for any words the table writes

// "paused by {who}: holding the force" -> /^paused by (.+?): holding the force$/, ["who"]
function templates(table) {
  const out = [];
  for (const [english, shown] of Object.entries(table)) {
    if (!english.includes("{")) continue;
    const names = [...english.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const pattern = english.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("(.+?)");
    out.push({ re: new RegExp(`^${pattern}$`), names, shown });
  }
  return out.sort((a, b) => b.re.source.length - a.re.source.length);  // the most specific first
}
