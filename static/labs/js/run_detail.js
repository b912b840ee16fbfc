// The run page: opens /ws/runs/<id>/ and keeps the state, the targets and the latest
// requests up to date from the events the worker publishes (DESIGN.md, "Events").
// Tests wait on body[data-ws="open"] and body[data-state="…"]. On every (re)connect to a
// running run the first events after the status are a `snapshot`: it replaces the counts,
// the requests, the health and the charts, and the stream carries on from it.
// Every event the page draws goes through render(): live frames, and the replay's
// pauses, steps and scrubs (static/labs/js/run_replay.js decides which events, and when).

import { fill, renderTrace, tlsReason } from "./run_trace.js";
import { makeCharts } from "./run_charts.js";
import { initReplay } from "./run_replay.js";

const MAX_REQUEST_ROWS = 25;
const MAX_FLOW_ROWS = 25;
const MAX_CHECKS = 5;  // health checks listed per target
const FINAL_STATES = new Set(["finished", "failed"]);
// A stop the worker has not answered (with "stopping" or an end) within this long is
// reported: Redis may be away, and the worker then finds the stop on its next heartbeat.
const STOP_CONFIRM_MS = 5000;
const RECONNECT_MS = [500, 1000, 2000, 4000, 8000];  // then every 8 s until it answers

const config = JSON.parse(document.getElementById("run-config").textContent);
const text = JSON.parse(document.getElementById("run-text").textContent);

const stateEl = document.getElementById("run-state");
const reasonEl = document.getElementById("run-reason");
const labTimeEl = document.getElementById("lab-time");
const totalEl = document.getElementById("request-total");
const stopForm = document.getElementById("stop-form");
const stopButton = document.getElementById("stop-button");
const noticeEl = document.getElementById("ws-notice");
const targetsBody = document.querySelector("#targets tbody");
const requestsBody = document.querySelector("#requests tbody");
const flowsSection = document.getElementById("flows");
const flowsBody = document.querySelector("#flow-table tbody");
const flowsEmpty = document.getElementById("flows-empty");
// Each cell names its column, for the stacked layout at phone width (run_detail.css).
const flowHeads = [...document.querySelectorAll("#flow-table thead th")].map((th) =>
  th.textContent.trim(),
);
const flowCountEl = document.getElementById("flow-count");
const flowTotalEl = document.getElementById("flow-total");
const tracePanel = document.getElementById("trace");
const traceHeading = document.getElementById("trace-heading");
const traceSteps = document.getElementById("trace-steps");
const charts = makeCharts(text);
const requestsById = new Map();  // trace_id -> request event, for the rows on the page

const label = (table, code) => (code && text[table][code]) || code || "";

let socket = null;
let reconnects = 0;  // failed attempts in a row
let everOpened = false;

function showState(state, reason, position) {
  stateEl.textContent = label("states", state);
  stateEl.dataset.state = state;
  stateEl.className = `state state-${state}`;
  document.body.dataset.state = state;
  let reasonText = label("reasons", reason);
  if (state === "queued" && position) {
    reasonText = `${reasonText} ${fill(text.ui.queuePosition, { position })}`.trim();
    reasonEl.dataset.position = String(position);
  } else {
    delete reasonEl.dataset.position;
  }
  reasonEl.textContent = reasonText;
  reasonEl.hidden = !reasonText;
  if (FINAL_STATES.has(state)) {
    stopForm.hidden = true;
  }
  showControls(state);
}

function showLabTime(t) {
  if (typeof t === "number") labTimeEl.textContent = t.toFixed(1);
}

// One row per target in each of its groups: an instance can sit in two target groups, and
// its requests count where the rule sent them. Without a group: the address's first row.
// `about`: the health event that brought a target the page did not list (an instance an
// Auto Scaling group launched), for its instance id and zone.
function targetRow(address, group, about = null) {
  const byAddress = `tr[data-target="${CSS.escape(address)}"]`;
  let row = group
    ? targetsBody.querySelector(`${byAddress}[data-target-group="${CSS.escape(group)}"]`)
    : targetsBody.querySelector(byAddress);
  if (!row) {
    // A target the page did not list (registered during the run): add a row for it.
    row = document.createElement("tr");
    row.dataset.target = address;
    row.dataset.launched = "true";
    if (group) row.dataset.targetGroup = group;
    row.dataset.count = "0";
    row.innerHTML =
      '<td><code></code> <span class="muted"></span></td><td></td><td></td>' +
      '<td class="health" data-health="initial"><span class="health-badge"></span> ' +
      '<span class="health-reason muted"></span></td>' +
      '<td class="checks"><ol class="check-list"></ol></td><td class="number count">0</td>' +
      '<td class="target-controls"></td>';
    row.querySelector("code").textContent = address;
    row.cells[1].textContent = group || "";
    row.querySelector(".health-badge").textContent = label("health", "initial");
    targetsBody.append(row);
    launchedControls(row, address);
  }
  if (about && row.dataset.launched) {
    if (about.instance) row.querySelector("td .muted").textContent = about.instance;
    if (about.az) row.cells[2].textContent = about.az;
  }
  return row;
}

// A launched instance can be faulted like a declared one: the page's own fault form.
function launchedControls(row, address) {
  const controls = document.getElementById("launched-controls");
  if (!controls || !address.includes(":")) return;
  const form = controls.content.firstElementChild.cloneNode(true);
  form.elements.target.value = address;
  form.addEventListener("submit", sendControl);
  const state = document.body.dataset.state;
  for (const control of form.elements) control.disabled = state !== "running";
  row.querySelector(".target-controls").append(form);
}

// Instances an Auto Scaling group terminated (their virtual ip): their rows go away.
const terminated = new Set();

function ipOf(address) {
  const colon = address.lastIndexOf(":");
  return colon < 0 ? address : address.slice(0, colon);
}

function showActivity(event) {
  showFault(event);
  if (event.activity !== "Terminated" || !event.target) return;
  terminated.add(event.target);
  for (const row of [...targetsBody.rows]) {
    if (row.dataset.launched && ipOf(row.dataset.target) === event.target) row.remove();
  }
}

function setCount(element, countEl, count) {
  element.dataset.count = String(count);
  countEl.textContent = String(count);
}

function countRequest(event) {
  setCount(totalEl, totalEl, Number(totalEl.dataset.count) + 1);
  if (!event.target) return;
  const row = targetRow(event.target, event.target_group);
  setCount(row, row.querySelector(".count"), Number(row.dataset.count) + 1);
}

function cell(value, className) {
  const td = document.createElement("td");
  td.textContent = value ?? "";
  if (className) td.className = className;
  return td;
}

function statusClass(code) {
  if (!code) return "status";
  return code >= 500 ? "status status-5xx" : code >= 400 ? "status status-4xx" : "status status-ok";
}

function addRequestRow(event) {
  requestsBody.querySelector("tr.empty")?.remove();
  const row = document.createElement("tr");
  row.className = "request";
  row.dataset.target = event.target || "";
  row.dataset.targetGroup = event.target_group || "";
  row.dataset.path = event.path || "";
  row.dataset.status = String(event.elb_status_code ?? "");
  row.dataset.traceId = event.trace_id;
  row.tabIndex = 0;
  row.setAttribute("aria-selected", "false");
  row.setAttribute("aria-controls", "trace");
  row.title = text.trace.open;
  requestsById.set(event.trace_id, event);
  const rule = ruleText(event);
  const why = event.error_reason || label("routing", event.reason);
  const path = event.query ? `${event.path}?${event.query}` : event.path;
  const request = cell([event.method, path].filter(Boolean).join(" "));
  request.title = event.host || "";
  row.append(
    cell(typeof event.t === "number" ? event.t.toFixed(1) : "", "number"),
    cell(event.client_ip),
    request,
    cell(event.target_group || "—"),
    cell(event.target || "—"),
    cell(event.elb_status_code, `number ${statusClass(event.elb_status_code)}`),
    cell(rule),
    cell(why),
  );
  requestsBody.prepend(row);
  while (requestsBody.rows.length > MAX_REQUEST_ROWS) {
    requestsById.delete(requestsBody.lastElementChild.dataset.traceId);
    requestsBody.lastElementChild.remove();
  }
}

// --- flows (NLB, GWLB, Classic TCP): labs.engine.events.Flow ---------------------------
// The table and the count stay hidden until the run has a flow.

// A new flow, as the worker counts them (labs.engine.snapshot.starts_flow).
function startsFlow(event) {
  if (event.state === "open") return true;
  return Boolean(event.inner) && !(event.reason || "").startsWith("existing_flow");
}

function showFlowTotal(count) {
  setCount(flowTotalEl, flowTotalEl, count);
  if (count > 0) flowCountEl.hidden = false;
}

function countFlow(event) {
  if (startsFlow(event)) showFlowTotal(Number(flowTotalEl.dataset.count) + 1);
}

// An AWS-style code beside its meaning: <code>flow_hash:own_zone</code> and the words.
function codeCell(code, meaning) {
  const td = document.createElement("td");
  if (!code) {
    td.textContent = "—";
    return td;
  }
  const element = document.createElement("code");
  element.textContent = code;
  td.append(element);
  if (meaning && meaning !== code) td.append(" ", meaning);
  return td;
}

function flowStateText(event) {
  const state = label("flowStates", event.state);
  return event.closed_by ? `${state} (${label("flowClosedBy", event.closed_by)})` : state;
}

function innerText(event) {
  const inner = event.inner;
  if (!inner) return "—";
  const packet = [inner.protocol, [inner.source, inner.destination].filter(Boolean).join(" → ")]
    .filter(Boolean)
    .join(" ");
  const verdict = event.verdict ? label("flowVerdicts", event.verdict) : text.flowUi.noVerdict;
  const rule = event.rule ? ` (${fill(text.flowUi.byRule, { rule: event.rule })})` : "";
  return `${packet} · ${verdict}${rule}`;
}

function addFlowRow(event) {
  flowsSection.hidden = false;
  flowsEmpty.hidden = true;
  const row = document.createElement("tr");
  row.className = "flow";
  row.dataset.state = event.state || "";
  row.dataset.target = event.target || "";
  row.dataset.reason = event.reason || "";
  if (event.verdict) row.dataset.verdict = event.verdict;
  const client = `${event.client_ip}:${event.client_port} (${event.protocol})`;
  const node = `${event.lb} (${event.node_az}, ${event.node_ip})`;
  const hash = codeCell(event.hash);
  if (event.hash_value) hash.title = event.hash_value;
  const state = cell(flowStateText(event), `flow-state flow-state-${event.state}`);
  const inner = cell(innerText(event), "flow-gwlb");
  if (event.verdict) inner.dataset.verdict = event.verdict;
  row.append(
    cell(typeof event.t === "number" ? event.t.toFixed(1) : "", "number"),
    cell(`${client} → ${node}`),
    hash,
    cell(event.target || "—"),
    state,
    cell(event.bytes, "number"),
    codeCell(event.reason, label("flowReasons", event.reason)),
    inner,
  );
  [...row.cells].forEach((td, index) => {
    td.dataset.label = flowHeads[index] || "";
  });
  flowsBody.prepend(row);
  while (flowsBody.rows.length > MAX_FLOW_ROWS) flowsBody.lastElementChild.remove();
}

// "20 (PostsRule)": the priority and the name of the rule that matched.
function ruleText(event) {
  if (event.rule === null || event.rule === undefined) return "—";
  if (event.rule === "default") return text.ui.default;
  const matched = (event.trace?.rules || []).find((rule) => rule.rule === event.rule);
  return matched?.name ? `${event.rule} (${matched.name})` : String(event.rule);
}

// --- the decision trace panel (static/labs/js/run_trace.js draws it) -----------------
function openTrace(row, { focus }) {
  const event = requestsById.get(row.dataset.traceId);
  if (!event) return;
  for (const other of requestsBody.querySelectorAll('tr[aria-selected="true"]')) {
    other.setAttribute("aria-selected", "false");
  }
  row.setAttribute("aria-selected", "true");
  const { heading, steps } = renderTrace(event, text);
  traceHeading.textContent = heading;
  traceSteps.replaceChildren(...steps);
  tracePanel.dataset.traceId = event.trace_id;
  tracePanel.hidden = false;
  if (focus) tracePanel.focus();
  else tracePanel.scrollIntoView({ block: "nearest" });
}

function closeTrace() {
  tracePanel.hidden = true;
  const row = requestsBody.querySelector('tr[aria-selected="true"]');
  row?.setAttribute("aria-selected", "false");
  row?.focus();
}

requestsBody.addEventListener("click", (click) => {
  const row = click.target.closest("tr.request");
  if (row) openTrace(row, { focus: false });
});
requestsBody.addEventListener("keydown", (key) => {
  const row = key.target.closest("tr.request");
  if (row && (key.key === "Enter" || key.key === " ")) {
    key.preventDefault();
    openTrace(row, { focus: true });
  }
});
document.getElementById("trace-close").addEventListener("click", closeTrace);
tracePanel.addEventListener("keydown", (key) => {
  if (key.key === "Escape") closeTrace();
});

function showHealth(event) {
  if (terminated.has(ipOf(event.target))) return;  // its last check, after it was gone
  const row = targetRow(event.target, event.target_group, event);
  const healthCell = row.querySelector(".health");
  healthCell.dataset.health = event.state;
  healthCell.querySelector(".health-badge").textContent = label("health", event.state);
  const reasonEl = healthCell.querySelector(".health-reason");
  reasonEl.textContent = event.reason ? label("healthReasons", event.reason) : "";
  // AWS's reason code beside its meaning, as DescribeTargetHealth gives both.
  let code = healthCell.querySelector(".health-code");
  if (!code) {
    code = document.createElement("code");
    code.className = "health-code";
    reasonEl.before(code, " ");
  }
  code.textContent = event.reason || "";
  code.hidden = !event.reason;
  if (event.check) showCheck(row, event);
}

// One line per health check, newest first: passed or failed (a sign and a word), what
// the target answered and how long it took (lab-clock ms).
function showCheck(row, event) {
  const list = row.querySelector(".check-list");
  if (!list) return;
  const check = event.check;
  const passed = check.passed ?? event.state === "healthy";
  const item = document.createElement("li");
  item.dataset.passed = String(passed);
  const outcome = `${passed ? "✓" : "✗"} ${passed ? text.charts.checkPassed : text.charts.checkFailed}`;
  const detail = [check.status, check.error, passed ? null : event.reason].filter(Boolean).join(" · ");
  item.textContent = fill(text.charts.check, {
    outcome,
    t: typeof event.t === "number" ? event.t.toFixed(1) : "",
    detail: detail || "TCP",
    latency: typeof check.latency_ms === "number" ? check.latency_ms.toFixed(1) : "-",
  });
  list.prepend(item);
  while (list.children.length > MAX_CHECKS) list.lastElementChild.remove();
}

// The run so far, from the worker (labs.engine.snapshot), or a replay's checkpoint: it
// replaces what the page had, so the view is the run's at the snapshot's moment.
function showSnapshot(snapshot) {
  const counts = snapshot.counts || {};
  setCount(totalEl, totalEl, counts.requests || 0);
  // Launched instances are the snapshot's: gone if it has not launched them (a replay
  // stepping back), back if it has, and away again if it says they were terminated.
  for (const row of [...targetsBody.rows]) if (row.dataset.launched) row.remove();
  terminated.clear();
  for (const event of snapshot.faults || []) {
    if (event.type === "autoscaling" && event.activity === "Terminated" && event.target) {
      terminated.add(event.target);
    }
  }
  for (const row of targetsBody.rows) {
    setCount(row, row.querySelector(".count"), 0);
    showHealth({ target: row.dataset.target, target_group: row.dataset.targetGroup, state: "initial" });
  }
  for (const [key, count] of Object.entries(counts)) {
    if (!key.startsWith("target:")) continue;
    const [group, address] = splitKey(key.slice("target:".length));
    if (terminated.has(ipOf(address))) continue;
    const row = targetRow(address, group);
    setCount(row, row.querySelector(".count"), count);
  }
  for (const list of targetsBody.querySelectorAll(".check-list")) list.replaceChildren();
  for (const event of snapshot.health || []) showHealth(event);
  requestsBody.replaceChildren();
  requestsById.clear();
  for (const event of snapshot.requests || []) addRequestRow(event);
  showFlowTotal(counts.flows || 0);
  flowsBody.replaceChildren();
  for (const event of snapshot.flows || []) addFlowRow(event);
  charts.load(snapshot.series?.metrics || []);
  if (snapshot.faults || snapshot.consoles) {
    // The log again, oldest first: the changes and the console's answers, by lab time.
    faultsList.replaceChildren(emptyFaults);
    for (const row of targetsBody.rows) delete row.dataset.fault;
    const logged = [...(snapshot.faults || []), ...(snapshot.consoles || [])];
    logged.sort((a, b) => a.t - b.t);
    for (const event of logged) {
      (event.type === "console" ? showConsole : event.type === "autoscaling" ? showActivity : showFault)(event);
    }
  }
  if (snapshot.tls_errors) {
    // The failed handshakes again: the run's count, and the last few, newest on top.
    const list = document.getElementById("tls-errors-list");
    list?.replaceChildren();
    setTlsErrorCount(0);
    for (const event of snapshot.tls_errors) showTlsError(event);
    setTlsErrorCount(counts.tls_errors || 0);
  }
  document.body.dataset.snapshot = String(counts.requests || 0);
}

function splitKey(key) {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}

const handlers = {
  "run.status": (event) => {
    showState(event.state, event.reason, event.position);
    if (event.access_log) accessLogEl.hidden = false;
  },
  request: (event) => {
    countRequest(event);
    addRequestRow(event);
  },
  flow: (event) => {
    countFlow(event);
    addFlowRow(event);
  },
  health: showHealth,
  fault: showFault,
  console: showConsole,
  autoscaling: showActivity,
  "tls.error": showTlsError,
  metrics: (event) => charts.add(event),
  snapshot: showSnapshot,
};

// The one way events reach the page. "run:render" tells other modules (the diagram) what
// was drawn, live or replayed; `replay` is true when the replay redraws (a step or scrub).
function render(events, { replay = false } = {}) {
  charts.hold();  // each chart is drawn once for the whole list
  try {
    for (const event of events) {
      showLabTime(event.t);
      handlers[event.type]?.(event);
    }
  } finally {
    charts.release();
  }
  document.dispatchEvent(new CustomEvent("run:render", { detail: { events, replay } }));
}

function handleFrame(frame) {
  shareFrame(frame);
  if (frame.error) {
    showNotice(frame.message);
    return;
  }
  replay.live(frame.events || []);  // drawn now, or held while the learner has paused
}

function showNotice(message) {
  noticeEl.textContent = message;
  noticeEl.hidden = !message;
}

// The socket reconnects by itself (a daphne restart, a Redis outage), and says so; on
// every (re)connect the consumer sends the run's current state first.
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${config.wsPath}`);
  socket.addEventListener("open", () => {
    document.body.dataset.ws = "open";
    showNotice(everOpened && reconnects > 0 ? text.ui.reconnected : "");
    everOpened = true;
    reconnects = 0;
  });
  socket.addEventListener("message", (message) => handleFrame(JSON.parse(message.data)));
  socket.addEventListener("close", () => {
    if (FINAL_STATES.has(document.body.dataset.state)) {
      document.body.dataset.ws = "closed";
      return;  // nothing more will happen: no need to listen again
    }
    document.body.dataset.ws = "reconnecting";
    showNotice(text.ui.reconnecting);
    const delay = RECONNECT_MS[Math.min(reconnects, RECONNECT_MS.length - 1)];
    reconnects += 1;
    setTimeout(connect, delay);
  });
}

async function requestStop(submitEvent) {
  submitEvent.preventDefault();
  stopButton.disabled = true;
  stopButton.textContent = text.ui.stopRequested;
  setTimeout(checkStopped, STOP_CONFIRM_MS);
  if (socket?.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ action: "stop" }));
    return;
  }
  // No socket: the same request over HTTP, so Stop always works.
  try {
    const response = await fetch(stopForm.action, {
      method: "POST",
      body: new FormData(stopForm),
      headers: { Accept: "application/json" },
    });
    if (response.ok) return;
  } catch {
    // the network is down: said below
  }
  showNotice(text.ui.stopFailed);
  stopButton.disabled = false;
}

function checkStopped() {
  const state = document.body.dataset.state;
  if (state !== "stopping" && !FINAL_STATES.has(state)) {
    document.body.dataset.stop = "unconfirmed";
    showNotice(text.ui.stopUnconfirmed);
  }
}

// summary: labs.runtime LabRuntime.summary(), saved on the run when it ended.
function showSummary(summary) {
  if (!summary || summary.requests === undefined) return;
  setCount(totalEl, totalEl, summary.requests);
  if (summary.flows) showFlowTotal(summary.flows);
  for (const [address, count] of Object.entries(summary.by_target || {})) {
    const row = targetRow(address);
    setCount(row, row.querySelector(".count"), count);
  }
  for (const [key, state] of Object.entries(summary.health || {})) {
    const [group, address] = splitKey(key);
    showHealth({ target: address, target_group: group, state, reason: "" });
  }
  if (typeof summary.lab_seconds === "number") showLabTime(summary.lab_seconds);
  for (const event of summary.faults || []) showFault(event);
}

// --- run controls: deregister/register, faults, traffic rate, the Faults log -----------
// Each control is a form that also works without this script (labs-run-control); here it
// goes over the socket as {"action": "control", "command": {...}}. The worker answers
// with a `fault` event, which the Faults log shows; a refused command comes back as an
// error frame (checked on the web side) or as a `fault` event with `error` (the worker).

const accessLogEl = document.getElementById("access-log");
const faultsList = document.getElementById("faults");
const emptyFaults = faultsList.querySelector("li.empty");

function faultText(event) {
  const log = text.faultLog;
  const by = event.by || log.someone;
  if (event.error) {
    const why = label("controlErrors", event.error);
    return fill(log.refused, { by, error: event.message ? `${why} (${event.message})` : why });
  }
  if (event.action === "traffic" && event.traffic) return liveTrafficText(event, by);
  if (event.action === "traffic") {
    return fill(event.rps > 0 ? log.traffic : log.pause, { by, rps: event.rps });
  }
  if (event.type === "autoscaling") {
    return fill(log.autoscaling, {
      group: event.group,
      activity: event.activity,
      instance: event.instance || "",
      az: event.az || "",
      cause: event.cause,
    });
  }
  if (event.action === "scale") {
    return fill(log.scale, { by, group: event.group, desired: event.desired });
  }
  if (event.action === "sg") {
    return fill(event.mode === "revoke" ? log.sgRevoke : log.sgAuthorize, {
      by,
      security_group: event.security_group,
      rules: (event.rules || []).join(", "),
    });
  }
  if (event.az) {
    const targets = (event.targets || []).join(", ");
    return fill(log.faultAz, { by, az: event.az, targets, mode: label("faultModes", event.mode) });
  }
  const template = log[event.action] || event.action || "";
  return fill(template, {
    by,
    target: event.target,
    target_group: event.target_group,
    mode: label("faultModes", event.mode),
  });
}

// The live lab's traffic settings (static/labs/js/run_console.js sends them).
function liveTrafficText(event, by) {
  const log = text.faultLog;
  const settings = event.traffic;
  if (settings.paused) return fill(log.pause, { by });
  const c = text.console;
  const parts = [
    fill(c.settingsRps, { rps: settings.rps }),
    settings.clients ? fill(c.settingsClients, { clients: settings.clients }) : null,
    settings.keep_alive ? c.keepAliveOn : c.keepAliveOff,
    settings.mix?.length
      ? fill(c.settingsMix, { mix: settings.mix.map((m) => `${m.path} ×${m.weight}`).join(", ") })
      : null,
  ];
  return fill(log.settings, { by, settings: parts.filter(Boolean).join(", ") });
}

function showFault(event) {
  logItem(event, faultText(event), event.error ? "fault fault-refused" : "fault");
  if (event.action === "fault" && !event.error) {
    for (const target of event.targets || [event.target].filter(Boolean)) {
      const rows = targetsBody.querySelectorAll(`tr[data-target="${CSS.escape(target)}"]`);
      for (const row of rows) row.dataset.fault = event.mode;
    }
  }
}

// A request a viewer sent from the console (run_console.js shows its answer): the log
// keeps it with the changes, so a reload, a replay and a shared page still say it.
function showConsole(event) {
  const log = text.faultLog;
  const by = event.by || log.someone;
  const values = { by, request: `${event.method} ${event.url}`, client: event.client_ip };
  const words = event.status === undefined || event.status === null
    ? fill(log.consoleNoAnswer, {
      ...values, error: tlsReason(text.tlsReasons, event.tls_error, event.error || ""),
    })
    : fill(log.console, { ...values, status: event.status });
  logItem(event, words, "fault fault-console");
}

function logItem(event, words, className) {
  faultsList.querySelector("li.empty")?.remove();
  const item = document.createElement("li");
  item.className = className;
  item.dataset.action = event.action || event.type;
  item.dataset.target = event.target || "";
  const time = document.createElement("span");
  time.className = "fault-time";
  time.textContent = typeof event.t === "number" ? `${event.t.toFixed(1)} s` : "";
  item.append(time, " ", words);
  faultsList.prepend(item);
}

// The section stays hidden until a run has a failed handshake to show.
function setTlsErrorCount(total) {
  const section = document.getElementById("tls-errors");
  if (!section) return;
  document.getElementById("tls-error-count").textContent = String(total);
  section.hidden = total === 0;
}

// A client's TLS handshake that failed (tls.error): counted, the last few listed.
function showTlsError(event) {
  const section = document.getElementById("tls-errors");
  const count = document.getElementById("tls-error-count");
  const list = document.getElementById("tls-errors-list");
  if (!section) return;
  section.hidden = false;
  count.textContent = String(Number(count.textContent) + 1);
  const item = document.createElement("li");
  item.textContent = `${event.t.toFixed(1)} s · ${fill(text.ui.tlsError, {
    client: event.client_ip, host: event.host, port: event.listener,
    reason: tlsReason(text.tlsReasons, event.code, event.reason),
  })}`;
  list.prepend(item);
  while (list.children.length > 10) list.lastElementChild.remove();
}

function controlForms() {
  return document.querySelectorAll("form.control-form");
}

function showControls(state) {
  const over = FINAL_STATES.has(state);
  for (const element of document.querySelectorAll(".target-controls, .target-controls-heading")) {
    if (over) element.hidden = true;
  }
  for (const form of controlForms()) {
    if (over) form.hidden = true;
    for (const control of form.elements) control.disabled = state !== "running";
  }
}

function commandOf(form, submitter) {
  const command = {};
  for (const [key, value] of new FormData(form, submitter)) {
    if (key !== "csrfmiddlewaretoken") command[key] = value;
  }
  if ("rps" in command) command.rps = Number(command.rps);
  return command;
}

async function sendControl(submitEvent) {
  submitEvent.preventDefault();
  const form = submitEvent.currentTarget;
  const command = commandOf(form, submitEvent.submitter);
  showNotice("");  // the last refusal no longer applies
  if (socket?.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ action: "control", command }));
    return;
  }
  // No socket: the same command over HTTP.
  const body = new FormData(form, submitEvent.submitter);
  const response = await fetch(form.action, {
    method: "POST",
    body,
    headers: { Accept: "application/json" },
  });
  if (!response.ok) showNotice((await response.json()).message || "");
}

function initControls() {
  for (const form of controlForms()) form.addEventListener("submit", sendControl);
}

const replay = initReplay({ render, config, text });
initControls();
showState(config.state, config.reason, config.position);
showSummary(config.summary);
stopForm.addEventListener("submit", requestStop);
if (config.wsPath) connect();  // a shared page has no socket: only the recording

// --- in-lab questions (issue 5): static/quizzes/js/lab_quiz.js draws them --------------
// Every frame is shared as a "run:frame" DOM event; the quiz answers through "run:send".
function shareFrame(frame) {
  document.dispatchEvent(new CustomEvent("run:frame", { detail: frame }));
}

document.addEventListener("run:send", (sendEvent) => {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(sendEvent.detail));
});
