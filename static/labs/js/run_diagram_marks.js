// The moving marks of the live diagram (run_diagram.js): one small SVG shape per request
// or flow, travelling along its points on one requestAnimationFrame loop that runs only
// while something moves or is lit.
//
// - Bounded: at most MAX_MARKS on the drawing; a new one retires the oldest.
// - Sampled: above MARKS_PER_SECOND, one event in N is drawn; `sampling` says N, times
//   the share the worker itself sent (it samples `request` events when traffic outruns
//   the browser; DESIGN.md, "Events").
// - prefers-reduced-motion: a mark does not travel; it flashes where it ended.

export const MAX_MARKS = 40;
const MARKS_PER_SECOND = 12;
const RATE_WINDOW_MS = 2000;
const TRAVEL_MS = 1300;
const HOLD_MS = 900;  // a mark rests where it ended, fading, so it can be selected
const FLASH_MS = 1200;  // reduced motion: the whole life of a mark
const LIT_MS = 800;  // what a mark lit stays lit this long after the last one
const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export class Marks {
  // layer: the <g> marks are drawn in. hooks: launched(mark) and arrived(mark) when a mark
  // with a target sets off and gets there; stats({drawn, arrived, peak, sampling}).
  constructor(layer, hooks) {
    this.layer = layer;
    this.hooks = hooks;
    this.reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
    const motionNote = document.getElementById("diagram-motion");
    const showMotion = () => {
      if (motionNote) motionNote.hidden = !this.reduceMotion.matches;
    };
    this.reduceMotion.addEventListener("change", showMotion);
    showMotion();
    this.marks = [];
    this.lit = new Map();  // element -> when its light goes out
    this.arrivals = [];  // performance.now() of each event offered, for the rate
    this.seen = 0;
    this.counts = { drawn: 0, arrived: 0, peak: 0, sampling: 1 };
    this.workerShare = 1;
    this.frame = 0;
  }

  // Draws a mark along `points` ({x, y}) unless sampling skips it; true when drawn.
  // target: what it is heading for (counted in flight); select: called when clicked.
  add({ kind, points, target, title, select, traceId }) {
    const now = performance.now();
    this.arrivals.push(now);
    this.seen += 1;
    const stride = this.stride(now);
    if (this.seen % stride !== 0 || points.some((p) => !p)) return false;
    while (this.marks.length >= MAX_MARKS) this.finish(this.marks[0]);
    const g = svg("g", { class: `mark mark-${kind}`, "data-outcome": kind },
      svg("use", { href: `#mark-shape-${kind}`, x: -7, y: -7, width: 14, height: 14 }),
      svg("title", {}, title));
    if (traceId) g.dataset.traceId = traceId;
    if (select) g.addEventListener("click", select);
    this.layer.append(g);
    const lengths = points.slice(1).map((p, i) => Math.hypot(p.x - points[i].x, p.y - points[i].y));
    const total = lengths.reduce((a, b) => a + b, 0) || 1;
    const mark = { g, points, lengths, total, start: now, target, travels: !this.reduceMotion.matches };
    this.marks.push(mark);
    this.counts.drawn += 1;
    this.counts.peak = Math.max(this.counts.peak, this.marks.length);
    if (mark.travels && target) this.hooks.launched(mark);
    this.place(mark, mark.travels ? 0 : 1);
    if (!mark.travels) this.arrive(mark);
    this.publish();
    this.wake();
    return true;
  }

  light(element) {
    element.dataset.lit = "true";
    this.lit.set(element, performance.now() + LIT_MS);
    this.wake();
  }

  // The worker's share from a `metrics` event: requests it counted per request it sent.
  share(counted, sent, sampled) {
    this.workerShare = sampled && sent ? Math.max(1, counted / sent) : 1;
    this.stride(performance.now());
    this.publish();
  }

  // Every mark gets where it was going now (the run ended).
  clear() {
    for (const mark of [...this.marks]) this.finish(mark);
  }

  // One in `stride` events is drawn once the rate passes MARKS_PER_SECOND.
  stride(now) {
    const arrivals = this.arrivals;
    while (arrivals.length && arrivals[0] < now - RATE_WINDOW_MS) arrivals.shift();
    const stride = Math.max(1, Math.ceil(arrivals.length / (RATE_WINDOW_MS / 1000) / MARKS_PER_SECOND));
    this.counts.sampling = Math.max(1, Math.round(stride * this.workerShare));
    return stride;
  }

  publish() {
    this.hooks.stats(this.counts);
  }

  place(mark, fraction) {
    let distance = fraction * mark.total;
    let i = 0;
    while (i < mark.lengths.length - 1 && distance > mark.lengths[i]) distance -= mark.lengths[i++];
    const a = mark.points[i];
    const b = mark.points[i + 1] || a;
    const f = mark.lengths[i] ? Math.min(distance / mark.lengths[i], 1) : 1;
    const x = a.x + (b.x - a.x) * f;
    const y = a.y + (b.y - a.y) * f;
    mark.g.setAttribute("transform", `translate(${x.toFixed(1)},${y.toFixed(1)})`);
  }

  arrive(mark) {
    mark.arrived = true;
    this.counts.arrived += 1;
    mark.g.classList.add("mark-arrived");
    if (mark.travels && mark.target) this.hooks.arrived(mark);
    this.publish();
  }

  finish(mark) {
    if (!mark.arrived) this.arrive(mark);
    mark.g.remove();
    this.marks.splice(this.marks.indexOf(mark), 1);
  }

  tick(now) {
    this.frame = 0;
    for (const mark of [...this.marks]) {
      const age = now - mark.start;
      if (!mark.travels) {
        mark.g.style.opacity = String(Math.max(0, 1 - age / FLASH_MS));
        if (age >= FLASH_MS) this.finish(mark);
        continue;
      }
      if (age < TRAVEL_MS) {
        this.place(mark, age / TRAVEL_MS);
        continue;
      }
      if (!mark.arrived) {
        this.place(mark, 1);
        this.arrive(mark);
      }
      mark.g.style.opacity = String(Math.max(0, 1 - (age - TRAVEL_MS) / HOLD_MS));
      if (age >= TRAVEL_MS + HOLD_MS) this.finish(mark);
    }
    for (const [element, until] of this.lit) {
      if (until > now) continue;
      delete element.dataset.lit;
      this.lit.delete(element);
    }
    if (this.marks.length || this.lit.size) this.wake();
  }

  wake() {
    if (!this.frame) this.frame = requestAnimationFrame((now) => this.tick(now));
  }
}
