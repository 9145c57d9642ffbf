// Alarm sounds by IEC 60601-1-8 priority, made with WebAudio (no sound files to fetch):
// high: 10 pulses (3 + 2, pause, 3 + 2) every 5 s; medium: 3 pulses every 8 s; low: 2
// pulses every 16 s. A browser plays sound only after a first touch on the page
// (kiosk: --autoplay-policy=no-user-gesture-required).
const PATTERNS = { high: { pulses: [0, .2, .4, .8, 1, 2, 2.2, 2.4, 2.8, 3], every: 5, hz: 880 },
  medium: { pulses: [0, .25, .5], every: 8, hz: 660 }, low: { pulses: [0, .3], every: 16, hz: 520 } };

export class Sound {
  constructor() { this.ctx = null; this.level = "off"; this.timer = null; }
  unlock() { if (!this.ctx && window.AudioContext) this.ctx = new AudioContext(); if (this.ctx && this.ctx.state === "suspended") this.ctx.resume(); }
  play(level) {
    if (level === this.level) return;
    this.level = level; clearInterval(this.timer); this.timer = null;
    const p = PATTERNS[level];
    if (!p) return;
    const burst = () => this.burst(p);
    burst(); this.timer = setInterval(burst, p.every * 1000);
  }
  burst(p) {
    if (!this.ctx || this.ctx.state !== "running") return;
    const t0 = this.ctx.currentTime;
    for (const dt of p.pulses) {
      const o = this.ctx.createOscillator(), g = this.ctx.createGain();
      o.frequency.value = p.hz; g.gain.setValueAtTime(0.25, t0 + dt); g.gain.setValueAtTime(0, t0 + dt + 0.15);
      o.connect(g).connect(this.ctx.destination); o.start(t0 + dt); o.stop(t0 + dt + 0.16);
    }
  }
}
