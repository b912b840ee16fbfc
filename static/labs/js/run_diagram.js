// The live diagram (issue 10): the builder's drawing of the run's topology (labs/diagram.py,
// addressed by its data-* ids), brought to life by the run's events. It listens to the
// "run:render" DOM event run_detail.js sends for every list of events it draws, and draws nothing else.
//
// - request / flow: a mark travels client → LB node in its zone → target, its shape and
//   colour saying the outcome (the legend's shapes: <symbol id="mark-shape-…">); the rule
//   that matched lights up (run_diagram_marks.js moves, bounds and samples the marks).
// - health / snapshot / the saved summary: each target shows its health (a sign and the
//   state's word, the reason code), the requests it served and those on their way on the
//   drawing; a target group shows healthy/total.
// - Selecting a mark opens its decision trace, a target its health (run_diagram_health.js),
//   in the page's trace panel, which then floats beside the drawing.
// Tests wait on #live-diagram[data-marks-arrived] and each .live-target's data-health and
// data-count.

import { fill, renderTrace } from "./run_trace.js";
import { HEALTH_SIGNS, healthSteps } from "./run_diagram_health.js";
import { Marks, svg as el } from "./run_diagram_marks.js";

const MAX_CHECKS = 5;
const CLIENT_BAND = 44;  // viewBox units added above the VPC for the clients
const CLIENT_SLOTS = 8;
const PAD = 10;  // labs.diagram.PAD
const FINAL_STATES = new Set(["finished", "failed"]);
const HEALTHY = new Set(["healthy", "InService"]);

const section = document.getElementById("live-diagram");
const svg = section?.querySelector("svg.diagram");
if (svg) start();

function start() {
  const config = JSON.parse(document.getElementById("run-diagram-config").textContent);
  const text = JSON.parse(document.getElementById("run-text").textContent);
  const runConfig = JSON.parse(document.getElementById("run-config").textContent);
  const words = config.words;
  const panel = document.getElementById("trace");
  const samplingEl = document.getElementById("diagram-sampling");
  const label = (table, code) => (code && text[table]?.[code]) || code || "";

  // --- the drawing: room for the clients above the VPC, layers for overlays and marks --
  const [vx, vy, vw, vh] = svg.getAttribute("viewBox").split(/\s+/).map(Number);
  svg.setAttribute("viewBox", `${vx} ${vy - CLIENT_BAND} ${vw} ${vh + CLIENT_BAND}`);
  const clientsLayer = el("g", { class: "clients" });
  clientsLayer.append(el("text", { x: 16, y: vy - CLIENT_BAND + 26, class: "heading" }, words.clients));
  const marksLayer = el("g", { class: "marks" });
  svg.append(clientsLayer, marksLayer);
  const clientSlots = new Map();  // client_ip -> x

  function clientPoint(ip) {
    if (!clientSlots.has(ip)) {
      const n = clientSlots.size;
      const left = 110;
      const x = left + ((n % CLIENT_SLOTS) + 0.5) * ((vw - left - 16) / CLIENT_SLOTS);
      clientSlots.set(ip, x);
      if (n < CLIENT_SLOTS) {
        const y = vy - CLIENT_BAND + 14;
        const dot = el("g", { class: "client", transform: `translate(${x},${y})` },
          el("circle", { r: 5 }), el("text", { y: 18, "text-anchor": "middle", class: "client-ip" }, ip));
        clientsLayer.append(dot);
      }
    }
    return { x: clientSlots.get(ip), y: vy - CLIENT_BAND + 14 };
  }

  const box = (selector) => svg.querySelector(selector);
  const q = (value) => CSS.escape(String(value));

  function rectOf(element) {
    const rect = element.querySelector("rect");
    const n = (name) => Number(rect.getAttribute(name));
    return { x: n("x"), y: n("y"), w: n("width"), h: n("height") };
  }

  const centre = (r) => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 });

  function textPoint(textEl) {
    return { x: Number(textEl.getAttribute("x")) + 60, y: Number(textEl.getAttribute("y")) - 4 };
  }

  // --- targets: one entry per (group, address), found on the drawing by its ids -------
  const targets = new Map();  // "group|address" -> entry
  const aliases = new Map();  // "group|address" -> entry: an ALB target's node addresses
  const groups = new Map();  // group -> { element, text, entries }

  function groupOf(name) {
    if (!groups.has(name)) {
      const element = box(`g.target-group[data-target-group="${q(name)}"]`) ||
        box(`g.rule.classic[data-lb="${q(name)}"]`);
      let status = null;
      if (element) {
        const r = rectOf(element);
        status = el("text", { x: r.x + r.w - PAD, y: r.y + 18, "text-anchor": "end", class: "tg-health" });
        element.append(status);
      }
      groups.set(name, { element, status, entries: [] });
    }
    return groups.get(name);
  }

  function lineOf(t) {
    const base = `text[data-target-group="${q(t.group)}"]`;
    return box(`${base}[data-target-id="${q(t.id)}"][data-target-port="${q(t.port)}"]`) ||
      box(`${base}[data-target-id="${q(t.id)}"]`) ||
      [...svg.querySelectorAll(`${base}[data-asg]`)].find((line) => t.id.startsWith(`${line.dataset.asg}-`));
  }

  const instancesShown = new Set();

  function addTarget(t) {
    const key = `${t.group}|${t.address}`;
    if (targets.has(key)) return targets.get(key);
    const entry = {
      ...t, key, count: 0, inflight: 0, health: null, checks: [], fault: null, outstanding: null,
      overlays: [],
    };
    targets.set(key, entry);
    for (const alias of t.aliases || []) aliases.set(`${t.group}|${alias}`, entry);
    const group = groupOf(t.group);
    group.entries.push(entry);
    const line = lineOf(t);
    if (line) {
      entry.line = line;
      const owner = line.closest("g.box");
      const r = rectOf(owner);
      const y = Number(line.getAttribute("y"));
      entry.overlays.push(overlay(entry, owner, { x: r.x + 3, y: y - 12, w: r.w - 6, h: 16 },
        [{ x: r.x + r.w - PAD, y, part: "sign" }], 0));
    }
    const instance = box(`g.instance[data-instance="${q(t.id)}"]`);
    if (instance && !instancesShown.has(t.id)) {
      instancesShown.add(t.id);  // an instance in two groups: its box shows the first
      entry.instance = instance;
      const r = rectOf(instance);
      // Out of the tab order: the keyboard goes through each group's lines, one stop per
      // (group, target), not twice through an instance.
      entry.overlays.push(overlay(entry, instance, r, [
        { x: r.x + r.w - PAD, y: r.y + 16, part: "state" },
        { x: r.x + r.w - PAD, y: r.y + 32, part: "reason" },
      ], line ? -1 : 0));
    } else if (instance) {
      entry.instance = instance;
    }
    if (!entry.instance) {
      entry.instance = box(`text[data-instance="${q(t.id)}"]`);  // launched by an ASG
    }
    showTarget(entry);
    return entry;
  }

  // A focusable, selectable layer over a target's line or box; its texts say the health.
  function overlay(entry, owner, r, texts, tabindex) {
    const g = el("g", {
      class: "live-target", tabindex, role: "button", "data-target": entry.address,
      "data-target-group": entry.group, "data-target-id": entry.id,
    });
    g.append(el("rect", { class: "hit", x: r.x, y: r.y, width: r.w, height: r.h, rx: 5 }));
    for (const spec of texts) {
      g.append(el("text", { x: spec.x, y: spec.y, "text-anchor": "end", class: `live-${spec.part}` }));
    }
    g.addEventListener("click", () => openHealth(entry, g, { focus: false }));
    g.addEventListener("keydown", (key) => {
      if (key.key === "Enter" || key.key === " ") {
        key.preventDefault();
        openHealth(entry, g, { focus: true });
      }
    });
    owner.append(g);
    return g;
  }

  function targetFor(group, address) {
    if (!address) return null;
    const key = `${group}|${address}`;
    if (targets.has(key)) return targets.get(key);
    if (aliases.has(key)) return aliases.get(key);
    const byAddress = [...targets.values()].find((e) => e.address === address && (!group || e.group === group));
    if (byAddress) return byAddress;
    // Registered during the run (or a name the page did not list): drawn at its group.
    return group ? addTarget({ group, id: address, address, port: "", az: "" }) : null;
  }

  function stateOf(entry) {
    return entry.health?.state || "initial";
  }

  function showTarget(entry) {
    const state = stateOf(entry);
    const sign = HEALTH_SIGNS[state] || "?";
    const reason = entry.health?.reason || "";
    const inflight = entry.inflight ? ` +${entry.inflight}` : "";
    const aria = fill(words.target, {
      target: entry.id === entry.address ? entry.address : `${entry.id} (${entry.address})`,
      group: entry.group, state: label("health", state), requests: entry.count, inflight: entry.inflight,
    });
    for (const g of entry.overlays) {
      g.dataset.health = state;
      g.dataset.count = String(entry.count);
      g.dataset.inflight = String(entry.inflight);
      g.setAttribute("aria-label", aria);
      for (const t of g.querySelectorAll("text")) {
        if (t.classList.contains("live-sign")) t.textContent = `${sign} ${entry.count}${inflight}`;
        if (t.classList.contains("live-state")) {
          t.textContent = `${sign} ${label("health", state)} · ${entry.count}${inflight}`;
        }
        if (t.classList.contains("live-reason")) t.textContent = reason;
      }
    }
    if (entry.instance?.matches("g.instance")) entry.instance.dataset.health = state;
    if (entry.line) {
      entry.line.dataset.health = state;
      unCrowd(entry.line, entry.overlays[0]?.querySelector(".live-sign"));
    }
    showGroup(entry.group);
  }

  // A long target label that reaches its sign and count is drawn smaller, so both read.
  function unCrowd(line, sign) {
    if (!sign || line.classList.contains("target-crowded") || !sign.getComputedTextLength()) return;
    const end = Number(line.getAttribute("x")) + line.getComputedTextLength();
    const start = Number(sign.getAttribute("x")) - sign.getComputedTextLength();
    if (end + 6 > start) line.classList.add("target-crowded");
  }

  function showGroup(name) {
    const group = groups.get(name);
    if (!group?.status) return;
    const healthy = group.entries.filter((e) => HEALTHY.has(stateOf(e))).length;
    const total = group.entries.length;
    group.status.textContent = fill(words.groupHealthy, { healthy, total });
    if (!group.placed) placeGroupStatus(group);
    group.element.dataset.healthy = String(healthy);
    group.element.dataset.total = String(total);
  }

  // healthy/total goes on the group's first line unless its title reaches it, then on
  // the second (lengths are only known once drawn: the section is on screen from the start).
  function placeGroupStatus(group) {
    const status = group.status;
    const room = (line) => {
      if (!line) return true;
      const end = Number(line.getAttribute("x")) + line.getComputedTextLength();
      return end + 8 < Number(status.getAttribute("x")) - status.getComputedTextLength();
    };
    const [title, second] = group.element.querySelectorAll(":scope > text");
    if (!status.getComputedTextLength()) return;  // not drawn yet (hidden): try again later
    group.placed = true;
    if (room(title)) return;
    if (!second) return;
    status.setAttribute("y", second.getAttribute("y"));
    if (!room(second)) status.classList.add("tg-health-small");  // crowded: smaller, still there
  }

  for (const t of config.targets) addTarget(t);

  // --- marks -----------------------------------------------------------------------------
  const marks = new Marks(marksLayer, {
    launched: (mark) => {
      mark.target.inflight += 1;
      showTarget(mark.target);
    },
    arrived: (mark) => {
      mark.target.inflight = Math.max(0, mark.target.inflight - 1);
      showTarget(mark.target);
      for (const g of mark.target.overlays) marks.light(g);
    },
    stats: ({ drawn, arrived, peak, sampling }) => {
      Object.assign(section.dataset, {
        marksDrawn: drawn, marksArrived: arrived, marksPeak: peak, sampling,
      });
      samplingEl.hidden = sampling <= 1;
      samplingEl.textContent = sampling > 1 ? fill(words.sampled, { n: sampling }) : "";
    },
  });
  let sentSinceMetrics = 0;  // request events since the last metrics event
  let sampledByWorker = false;

  function outcomeOf(event) {
    const status = event.elb_status_code || 0;
    if (status >= 500) return event.target_status_code >= 500 ? "target5xx" : "lb5xx";
    if (status >= 400) return "client";
    if (status >= 300) return "redirect";
    return "ok";
  }

  function nodePoint(event) {
    const node = box(`g.lb-node[data-lb="${q(event.lb)}"][data-az="${q(event.node_az)}"]`) ||
      box(`g.lb-node[data-lb="${q(event.lb)}"]`) || box(`g.lb[data-lb="${q(event.lb)}"]`);
    if (node) marks.light(node);
    return node ? centre(rectOf(node)) : null;
  }

  function targetPoint(entry) {
    if (entry?.instance) {
      return entry.instance.matches("g") ? centre(rectOf(entry.instance)) : textPoint(entry.instance);
    }
    if (entry?.line) return textPoint(entry.line);
    const group = entry && groups.get(entry.group)?.element;
    return group ? centre(rectOf(group)) : null;
  }

  function lightRule(event) {
    if (event.rule === null || event.rule === undefined) return;
    const rule = box(`g.rule[data-lb="${q(event.lb)}"][data-listener-port="${q(event.listener)}"]` +
      `[data-rule="${q(event.rule)}"]`);
    if (!rule) return;
    if (!rule.querySelector(".rule-matched")) {
      const r = rectOf(rule);
      rule.append(el("text", { x: r.x + r.w - PAD, y: r.y + 18, "text-anchor": "end", class: "rule-matched" },
        `✓ ${words.matched}`));
    }
    marks.light(rule);
    const listener = box(`g.listener[data-lb="${q(event.lb)}"][data-listener-port="${q(event.listener)}"]`);
    if (listener) marks.light(listener);
  }

  // --- events ------------------------------------------------------------------------------
  function onRequest(event) {
    const entry = event.target ? targetFor(event.target_group, event.target) : null;
    if (entry) {
      entry.count += 1;
      const outstanding = event.trace?.target?.outstanding;
      if (outstanding && event.target in outstanding) entry.outstanding = outstanding[event.target];
      showTarget(entry);
    }
    if (event.sampled) sampledByWorker = true;
    sentSinceMetrics += 1;
    lightRule(event);
    const client = clientPoint(event.client_ip);
    const node = nodePoint(event);
    const points = entry ? [client, node, targetPoint(entry)] : [client, node, client];
    const path = event.query ? `${event.path}?${event.query}` : event.path;
    const title = fill(words.mark, { request: `${event.method} ${path}`, status: event.elb_status_code });
    if (redrawing) return;  // a step back or a scrub: counts and states, no travel
    marks.add({
      kind: outcomeOf(event), points, target: entry, title,
      traceId: event.trace_id, select: () => openRequest(event),
    });
  }

  // A new flow, as the worker counts them (labs.engine.snapshot.starts_flow).
  const startsFlow = (event) =>
    event.state === "open" || (Boolean(event.inner) && !(event.reason || "").startsWith("existing_flow"));

  function onFlow(event) {
    if (event.sampled) sampledByWorker = true;
    if (startsFlow(event)) sentSinceMetrics += 1;
    if (event.state === "closed") return;  // the flow's end: its opening was drawn
    const entry = event.target ? targetFor(event.target_group, event.target) : null;
    if (entry && startsFlow(event)) {
      entry.count += 1;
      showTarget(entry);
    }
    lightRule({ ...event, rule: "default" });  // an NLB or GWLB listener: its default action
    const dropped = ["reset", "dropped"].includes(event.state) || event.verdict === "drop";
    const client = clientPoint(event.client_ip);
    const node = nodePoint(event);
    const points = entry && !dropped ? [client, node, targetPoint(entry)] : [client, node];
    const title = fill(words.flowMark, {
      client: `${event.client_ip}:${event.client_port}`, target: event.target || "—",
      state: label("flowStates", event.state),
    });
    if (redrawing) return;
    marks.add({ kind: dropped ? "flowDropped" : "flow", points, target: dropped ? null : entry, title });
  }

  function onHealth(event) {
    const entry = targetFor(event.target_group, event.target);
    if (!entry) return;
    entry.health = event;
    if (event.check) {
      entry.checks.unshift(event);
      entry.checks.length = Math.min(entry.checks.length, MAX_CHECKS);
    }
    showTarget(entry);
    refreshHealth(entry);
  }

  // A fault on one instance, or on every instance of an Availability Zone (`targets`).
  function onFault(event) {
    if (event.action !== "fault" || event.error) return;
    const hit = new Set(event.targets || [event.target].filter(Boolean));
    for (const entry of targets.values()) {
      if (hit.has(entry.address)) {
        entry.fault = event.mode === "normal" ? null : event.mode;
        refreshHealth(entry);
      }
    }
  }

  function onMetrics(event) {
    // The worker sends a sample of the requests (and TCP flows) when traffic outruns the
    // browser; the metrics count them all, so their ratio is the worker's share
    // (DESIGN.md, "Events").
    const counted = Object.values(event.load_balancers || {})
      .reduce((sum, lb) => sum + (lb.RequestCount || 0) + (lb.NewFlowCount || 0), 0);
    marks.share(counted, sentSinceMetrics, sampledByWorker);
    sentSinceMetrics = 0;
    sampledByWorker = false;
  }

  function onSnapshot(snapshot) {
    const counts = snapshot.counts || {};
    for (const entry of targets.values()) {
      entry.count = 0;
      entry.checks = [];
    }
    for (const [key, count] of Object.entries(counts)) {
      if (key.startsWith("target:")) {
        const rest = key.slice("target:".length);
        const slash = rest.indexOf("/");
        const entry = targetFor(rest.slice(0, slash), rest.slice(slash + 1));
        if (entry) entry.count = count;
      }
    }
    // Flows per target are not in the counts: the newest flows say where they went.
    for (const event of snapshot.flows || []) {
      const entry = event.target && startsFlow(event) ? targetFor(event.target_group, event.target) : null;
      if (entry) entry.count += 1;
    }
    for (const event of snapshot.health || []) onHealth(event);
    for (const entry of targets.values()) entry.fault = null;
    for (const event of snapshot.faults || []) onFault(event);
    for (const entry of targets.values()) showTarget(entry);
  }

  // An ended run is drawn from its saved summary (labs.runtime LabRuntime.summary()).
  function showSummary(summary) {
    if (!summary || summary.requests === undefined) return;
    for (const [address, count] of Object.entries(summary.by_target || {})) {
      const entry = targetFor("", address);
      if (entry) entry.count = count;
    }
    for (const [key, state] of Object.entries(summary.health || {})) {
      const slash = key.indexOf("/");
      const entry = targetFor(key.slice(0, slash), key.slice(slash + 1));
      if (entry) entry.health = { state, reason: entry.health?.reason || "" };
    }
    for (const entry of targets.values()) showTarget(entry);
  }

  function showState(state) {
    section.dataset.state = state;
    document.getElementById("diagram-final").hidden = !FINAL_STATES.has(state);
    if (FINAL_STATES.has(state)) {
      marks.clear();
      for (const entry of targets.values()) {
        entry.inflight = 0;
        showTarget(entry);
      }
    }
  }

  const handlers = {
    "run.status": (event) => showState(event.state),
    request: onRequest,
    flow: onFlow,
    health: onHealth,
    fault: onFault,
    metrics: onMetrics,
    snapshot: onSnapshot,
  };

  // What the page drew, live or replayed (run_detail.js render): a paused view, a step
  // back or a replay moves the diagram with the tables and charts.
  // A replay's redraw (`replay`: a step back, a scrub, a jump) sets counts and states at
  // once: what was travelling is done, and nothing new sets off, so a scrub does not fly
  // a mark per request. Live events and a replay that plays travel as usual.
  let redrawing = false;
  document.addEventListener("run:render", (renderEvent) => {
    const detail = renderEvent.detail || {};
    redrawing = Boolean(detail.replay);
    if (redrawing) {
      marks.clear();
      for (const entry of targets.values()) entry.inflight = 0;
    }
    try {
      for (const event of detail.events || []) handlers[event.type]?.(event);
    } finally {
      redrawing = false;
    }
  });

  // --- the trace panel: a request's decision trace, or a target's health --------------
  let origin = null;  // what opened the panel, to return focus to

  function showPanel(heading, steps, { focus }) {
    for (const row of document.querySelectorAll('#requests tr[aria-selected="true"]')) {
      row.setAttribute("aria-selected", "false");
    }
    document.getElementById("trace-heading").textContent = heading;
    document.getElementById("trace-steps").replaceChildren(...steps);
    panel.hidden = false;
    if (focus) panel.focus({ preventScroll: true });
  }

  function openRequest(event) {
    const { heading, steps } = renderTrace(event, text);
    origin = null;
    delete panel.dataset.target;
    delete panel.dataset.targetGroup;
    panel.dataset.traceId = event.trace_id;
    panel.dataset.source = "diagram";
    showPanel(heading, steps, { focus: false });
  }

  function openHealth(entry, from, { focus }) {
    origin = from;
    delete panel.dataset.traceId;
    panel.dataset.target = entry.address;
    panel.dataset.targetGroup = entry.group;
    panel.dataset.source = "diagram";
    const name = entry.id === entry.address ? entry.address : `${entry.id} (${entry.address})`;
    showPanel(fill(words.healthHeading, { target: name, group: entry.group }), healthSteps(entry, text, config), { focus });
  }

  function refreshHealth(entry) {
    if (panel.hidden || panel.dataset.source !== "diagram") return;
    if (panel.dataset.target !== entry.address || panel.dataset.targetGroup !== entry.group) return;
    document.getElementById("trace-steps").replaceChildren(...healthSteps(entry, text, config));
  }

  function closed() {
    if (panel.dataset.source !== "diagram") return;
    delete panel.dataset.source;
    origin?.focus();
    origin = null;
  }

  document.getElementById("trace-close").addEventListener("click", closed);
  panel.addEventListener("keydown", (key) => {
    if (key.key === "Escape") closed();
  });
  // The requests table opens its own traces: the panel is then no longer the diagram's
  // (and goes back to its place under the table; opened from here it floats beside it).
  const tableOpened = () => {
    delete panel.dataset.source;
    delete panel.dataset.target;
    delete panel.dataset.targetGroup;
  };
  const requestsBody = document.querySelector("#requests tbody");
  requestsBody?.addEventListener("click", tableOpened);
  requestsBody?.addEventListener("keydown", (key) => {
    if (key.key === "Enter" || key.key === " ") tableOpened();
  });

  showState(runConfig.state);
  showSummary(runConfig.summary);
}
