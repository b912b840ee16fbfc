// The run page's live charts: one point a second from each `metrics` event (CloudWatch's
// names, per load balancer and target group), drawn with the vendored uPlot. Lines differ
// by dash as well as colour, each chart names its series in its legend, and a line of
// text under it gives the last second's values (colour is never the only signal).

import uPlot from "../../vendor/uplot-1.6.31/uPlot.esm.js";
import { fill } from "./run_trace.js";

const MAX_POINTS = 600;
const HEIGHT = 180;
const COLOURS = ["#1a5fb4", "#c01c28", "#26a269", "#a347ba", "#e66100", "#613583", "#865e3c"];
const DASHES = [[], [8, 4], [2, 3], [12, 4, 2, 4]];

const sum = (values) => values.reduce((a, b) => a + (b || 0), 0);

// Each chart's series from one metrics event: [[label, value], ...]; null is "no data".
const READERS = {
  requests: (m) => [["RequestCount", sum(Object.values(m.load_balancers).map((lb) => lb.RequestCount))]],
  latency: (m) => Object.entries(m.target_groups).flatMap(([group, g]) => {
    if (g.TargetResponseTime === undefined) return [];
    const ms = (v) => (typeof v === "number" ? +(v * 1000).toFixed(3) : null);
    if (g["TargetResponseTime.p50"] === undefined) return [[`${group} avg`, ms(g.TargetResponseTime)]];
    return ["p50", "p95", "p99"].map((p) => [`${group} ${p}`, ms(g[`TargetResponseTime.${p}`])]);
  }),
  hosts: (m, text) => Object.entries(m.target_groups).flatMap(([group, g]) => [
    [fill(text.charts.healthy, { group }), g.HealthyHostCount ?? 0],
    [fill(text.charts.unhealthy, { group }), g.UnHealthyHostCount ?? 0],
  ]),
  errors: (m, text) => {
    const lbs = Object.values(m.load_balancers);
    return [
      [text.charts.elb5xx, sum(lbs.map((lb) => lb.HTTPCode_ELB_5XX_Count))],
      [text.charts.target5xx, sum(lbs.map((lb) => lb.HTTPCode_Target_5XX_Count))],
    ];
  },
};

// Series that are counts read a missing second as 0; a latency with no request has none.
const ZERO_WHEN_MISSING = new Set(["requests", "hosts", "errors"]);

class Chart {
  constructor(figure, text) {
    this.figure = figure;
    this.kind = figure.dataset.chart;
    this.text = text;
    this.plotEl = figure.querySelector(".chart-plot");
    this.lastEl = figure.querySelector(".chart-last");
    this.reset();
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(this.plotEl);
  }

  reset() {
    this.t = [];
    this.columns = new Map();  // label -> values, aligned with this.t
    this.plot?.destroy();
    this.plot = null;
    this.rebuild = false;
    this.figure.dataset.points = "0";
  }

  size() {
    return { width: Math.max(240, this.plotEl.clientWidth), height: HEIGHT };
  }

  add(metrics, { draw = true } = {}) {
    const read = READERS[this.kind](metrics, this.text);
    const fresh = read.some(([label]) => !this.columns.has(label));
    for (const [label] of read) {
      if (!this.columns.has(label)) this.columns.set(label, this.t.map(() => null));
    }
    this.t.push(metrics.t);
    const values = new Map(read);
    const missing = ZERO_WHEN_MISSING.has(this.kind) ? 0 : null;
    for (const [label, column] of this.columns) column.push(values.has(label) ? values.get(label) : missing);
    if (this.t.length > MAX_POINTS) {
      this.t.shift();
      for (const column of this.columns.values()) column.shift();
    }
    this.figure.dataset.points = String(this.t.length);
    this.lastEl.textContent = fill(this.text.charts.last, {
      values: read.map(([label, value]) => `${label} ${value ?? "-"}`).join(", "),
    });
    this.rebuild = this.rebuild || fresh;
    if (draw) this.draw();
  }

  // A whole series at once (a snapshot, a replay's checkpoint): drawn once, not per point.
  load(list) {
    this.reset();
    for (const metrics of list) this.add(metrics, { draw: false });
    if (list.length) this.draw();
    else this.lastEl.textContent = this.text.charts.waiting;
  }

  draw() {
    const data = [this.t, ...this.columns.values()];
    const rebuild = this.rebuild;
    this.rebuild = false;
    if (this.plot && !rebuild) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    const series = [{ label: this.text.charts.time }];
    [...this.columns.keys()].forEach((label, n) => {
      series.push({
        label,
        stroke: COLOURS[n % COLOURS.length],
        dash: DASHES[n % DASHES.length],
        width: 2,
        spanGaps: false,
      });
    });
    this.plot = new uPlot(
      { ...this.size(), scales: { x: { time: false } }, series, cursor: { drag: { x: false } } },
      data,
      this.plotEl,
    );
  }
}

export function makeCharts(text) {
  const charts = [...document.querySelectorAll("figure.chart")].map((f) => new Chart(f, text));
  // While held (a replay drawing hundreds of events at once), points are added and each
  // chart is drawn once on release, not once per second of metrics.
  let held = false;
  const dirty = new Set();
  return {
    add: (metrics) => charts.forEach((chart) => {
      chart.add(metrics, { draw: !held });
      if (held) dirty.add(chart);
    }),
    hold: () => { held = true; },
    release: () => {
      held = false;
      for (const chart of dirty) chart.draw();
      dirty.clear();
    },
    load: (list) => charts.forEach((chart) => chart.load(list)),
    reset: () => charts.forEach((chart) => chart.reset()),
  };
}
