// The force curve on a canvas: planned profile (grey), session limit (red), target (cyan),
// measured (white). Time runs in treatment time; the measured curve is drawn against the
// session clock shifted by the time the treatment clock was held (slack take-up, pauses).
export function drawCurve(canvas, { curve, planned, limit, total, offsetT, unit, minutes = "min", number = (v, d) => v.toFixed(d) }) {
  const per = unit ? unit.n_per_unit : 1, label = unit ? unit.force_unit : "N";  // axis in the site's unit
  const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 40;
  g.clearRect(0, 0, w, h);
  const tMax = Math.max(total || 1, curve.length ? curve[curve.length - 1].t : 0) * 1.02;
  const fMax = Math.max(limit || 0, ...curve.map((p) => p.force || 0), ...(planned || []).map((p) => p[1])) * 1.1 || 100;
  const x = (t) => pad + (t / tMax) * (w - pad - 10), y = (f) => h - pad - (f / fMax) * (h - pad - 10);
  g.strokeStyle = "#2c3640"; g.fillStyle = "#93a1ad"; g.font = "14px system-ui"; g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) { const f = (fMax / 4) * i; g.beginPath(); g.moveTo(pad, y(f)); g.lineTo(w - 10, y(f)); g.stroke(); g.fillText((f / per).toFixed(0), 2, y(f) + 4); }
  g.fillText(label, pad + 4, 14);
  g.fillText(`${number(tMax / 60, 1)} ${minutes}`, w - 70, h - 12);
  if (limit) { g.strokeStyle = "#e02020"; g.setLineDash([8, 6]); g.lineWidth = 2; g.beginPath(); g.moveTo(pad, y(limit)); g.lineTo(w - 10, y(limit)); g.stroke(); g.setLineDash([]); }
  if (planned) line(g, planned.map((p) => [x(p[0] + (offsetT || 0)), y(p[1])]), "#6b7b88", 2);
  line(g, curve.filter((p) => p.target !== null).map((p) => [x(p.t), y(p.target)]), "#19b5d8", 3);
  line(g, curve.filter((p) => p.force !== null).map((p) => [x(p.t), y(p.force)]), "#f5f5f5", 2);
}

function line(g, pts, colour, width) {
  if (pts.length < 2) return;
  g.strokeStyle = colour; g.lineWidth = width; g.beginPath(); g.moveTo(pts[0][0], pts[0][1]);
  for (const p of pts.slice(1)) g.lineTo(p[0], p[1]);
  g.stroke();
}

// The muscles under the force curve: the EMG envelope (green) on the same time axis, with the
// resting baseline (grey) and the guarding threshold (amber); gaps where the signal was not
// reliable are left empty, never drawn as a quiet muscle.
export function drawEmg(canvas, { curve, baseline, threshold, total, microvolts = "uV" }) {
  const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 40;
  g.clearRect(0, 0, w, h);
  const tMax = Math.max(total || 1, curve.length ? curve[curve.length - 1].t : 0) * 1.02;
  const uMax = Math.max(threshold || 0, ...curve.map((p) => p.emg || 0)) * 1.2 || 10;
  const x = (t) => pad + (t / tMax) * (w - pad - 10), y = (u) => h - 10 - (u / uMax) * (h - 20);
  g.fillStyle = "#93a1ad"; g.font = "14px system-ui";
  g.fillText(`${uMax.toFixed(0)} ${microvolts}`, 2, 16);
  for (const [u, colour] of [[baseline, "#6b7b88"], [threshold, "#f0a020"]]) {
    if (u === null || u === undefined) continue;
    g.strokeStyle = colour; g.setLineDash([6, 5]); g.lineWidth = 2; g.beginPath(); g.moveTo(pad, y(u)); g.lineTo(w - 10, y(u)); g.stroke(); g.setLineDash([]);
  }
  let run = [];
  for (const p of curve) {
    if (p.emg === null || p.emg === undefined) { line(g, run, "#3ccf6e", 2); run = []; continue; }
    run.push([x(p.t), y(p.emg)]);
  }
  line(g, run, "#3ccf6e", 2);
}
