// The live lab on the run page (templates/labs/_live_console.html): send one request
// through the real load balancer and read its answer and trace; steer the generated
// traffic (clients, keep-alive, the request mix, pause/resume); inject faults on an
// instance or a whole Availability Zone.
//
// It rides on run_detail.js's socket through two DOM events, so the pages' modules stay
// apart: every frame arrives as "run:frame", and a command leaves as "run:send"
// ({"action": "control", "command": {...}}, checked by labs.frames / labs.services).
// Without an open socket, faults and traffic go as the form's own POST (labs-run-control).
// Tests wait on #console-result[data-status] and [data-rule], and on
// #traffic-pause[aria-pressed].

import { fill, renderTrace, tlsReason } from "./run_trace.js";

const FINAL_STATES = new Set(["finished", "failed"]);
const KEPT_REQUESTS = 500;  // request events remembered to find a console request's trace
const ERROR_WINDOW_MS = 3000;  // an error frame this soon after a send answers that send
const TRACE_WAIT_MS = 5000;  // past this, a console request's trace is taken as sampled out

const root = document.getElementById("live-lab");
const text = JSON.parse(document.getElementById("run-text").textContent);
const words = text.console;

const requestsByRoot = new Map();  // X-Amzn-Trace-Id Root -> request event
const mine = new Map();  // console ids this page sent -> their console event, once it came
const lastTarget = new Map();  // client IP -> target its last console request reached
let errorTo = null;  // where the next error frame goes: { element, until }
let sent = 0;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function send(command, errorElement, form) {
  errorElement.hidden = true;
  errorTo = { element: errorElement, until: Date.now() + ERROR_WINDOW_MS };
  if (document.body.dataset.ws === "open") {
    document.dispatchEvent(new CustomEvent("run:send", { detail: { action: "control", command } }));
    return true;
  }
  if (form) postForm(form, errorElement);
  else showError(errorElement, text.ui.reconnecting);
  return false;
}

async function postForm(form, errorElement) {
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
    });
    if (!response.ok) showError(errorElement, (await response.json()).message || "");
  } catch {
    showError(errorElement, text.ui.reconnecting);
  }
}

function showError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

// --- name/value pairs (headers, cookies) and the request mix ---------------------------

function pairRow(list, nameLabel, valueLabel, name = "", value = "") {
  const item = el("li", { className: "pair" },
    el("input", { className: "pair-name", value: name, ariaLabel: nameLabel, autocomplete: "off", spellcheck: false }),
    el("input", { className: "pair-value", value, ariaLabel: valueLabel, autocomplete: "off", spellcheck: false }),
    el("button", { type: "button", className: "button button-small button-secondary", textContent: words.remove }));
  item.lastElementChild.addEventListener("click", () => item.remove());
  list.append(item);
  item.querySelector("input").focus();
}

function pairsOf(fieldset) {
  return [...fieldset.querySelectorAll("li.pair")]
    .map((item) => [item.querySelector(".pair-name").value.trim(), item.querySelector(".pair-value").value])
    .filter(([name, value]) => name || value.trim());
}

function mixRow(list, item = { path: "/", host: "", headers: [], weight: 1 }) {
  const header = (item.headers || []).map(([k, v]) => `${k}: ${v}`).join("");
  const row = el("li", { className: "mix-item" },
    el("input", { className: "mix-path", value: item.path, ariaLabel: words.mixPath, spellcheck: false }),
    el("input", { className: "mix-host", value: item.host || "", ariaLabel: words.mixHost, placeholder: words.mixHost, spellcheck: false }),
    el("input", { className: "mix-header", value: header, ariaLabel: words.mixHeader, placeholder: words.mixHeader, spellcheck: false }),
    el("input", { className: "mix-weight", type: "number", min: 1, max: 100, step: 1, value: item.weight, ariaLabel: words.mixWeight }),
    el("button", { type: "button", className: "button button-small button-secondary", textContent: words.remove }));
  row.lastElementChild.addEventListener("click", () => row.remove());
  list.append(row);
  return row;
}

function mixOf(list) {
  return [...list.querySelectorAll("li.mix-item")].map((row) => {
    const header = row.querySelector(".mix-header").value.trim();
    const colon = header.indexOf(":");
    const headers = !header ? [] : colon < 0 ? [[header, ""]] : [[header.slice(0, colon).trim(), header.slice(colon + 1).trim()]];
    return {
      path: row.querySelector(".mix-path").value.trim(),
      host: row.querySelector(".mix-host").value.trim(),
      headers,
      weight: Number(row.querySelector(".mix-weight").value),
    };
  });
}

// --- the console -----------------------------------------------------------------------

function initConsole() {
  const form = document.getElementById("console-form");
  if (!form) return;
  const listener = document.getElementById("console-listener");
  const client = document.getElementById("console-client");
  for (const fieldset of form.querySelectorAll("fieldset.pairs")) {
    const kind = fieldset.dataset.pairs;
    const [nameLabel, valueLabel] = kind === "headers"
      ? [words.headerName, words.headerValue] : [words.cookieName, words.cookieValue];
    fieldset.querySelector("[data-add]").addEventListener("click", () =>
      pairRow(fieldset.querySelector(".pair-list"), nameLabel, valueLabel));
  }
  listener.addEventListener("change", () => {
    client.value = listener.selectedOptions[0].dataset.clientIp || client.value;
  });
  form.addEventListener("submit", (submitEvent) => {
    submitEvent.preventDefault();
    const [lb, port] = splitListener(listener.value);
    sent += 1;
    const id = `console-${Date.now().toString(36)}-${sent}`;
    const command = {
      action: "request",
      id,
      lb,
      listener: port,
      method: form.elements.method.value,
      host: form.elements.host.value,
      path: form.elements.path.value,
      query: form.elements.query.value,
      client_ip: client.value,
      headers: pairsOf(form.querySelector('[data-pairs="headers"]')),
      cookies: pairsOf(form.querySelector('[data-pairs="cookies"]')),
      forget_cookies: form.elements.forget_cookies.checked,
    };
    if (send(command, document.getElementById("console-error"), null)) {
      mine.set(id, null);
      const button = document.getElementById("console-send");
      button.disabled = true;
      button.textContent = words.sending;
      form.elements.forget_cookies.checked = false;
    }
  });
}

function splitListener(value) {
  const colon = value.lastIndexOf(":");
  return [value.slice(0, colon), Number(value.slice(colon + 1))];
}

function resetSendButton() {
  const button = document.getElementById("console-send");
  if (!button) return;
  button.disabled = document.body.dataset.state !== "running";
  button.textContent = button.dataset.label || button.textContent;
}

function traceRootOf(traceId) {
  const part = (traceId || "").split(";").find((field) => field.startsWith("Root="));
  return part || "";
}

function showAnswer(event, { focus = true } = {}) {
  mine.set(event.id, event);
  resetSendButton();
  const result = document.getElementById("console-result");
  result.hidden = false;
  result.dataset.id = event.id;
  result.dataset.status = event.status === undefined ? "error" : String(event.status);
  delete result.dataset.rule;
  delete result.dataset.target;
  const line = `${event.method} ${event.url} · ${event.client_ip}`;
  let heading = fill(words.status, { status: event.status });
  if (event.tls_error) {
    heading = fill(words.tlsFailed, {
      reason: tlsReason(text.tlsReasons, event.tls_error, event.error || ""),
    });
  } else if (event.status === undefined) {
    heading = fill(words.noAnswer, { error: event.error || "" });
  }
  document.getElementById("console-result-heading").textContent = `${heading} — ${line}`;
  const headers = document.getElementById("console-headers");
  headers.replaceChildren(...(event.headers || []).flatMap(([name, value]) =>
    [el("dt", { textContent: name }), el("dd", { textContent: value })]));
  const shown = new TextEncoder().encode(event.body || "").length;
  document.getElementById("console-body-title").textContent = event.body_bytes > shown
    ? fill(words.bodyCut, { shown, bytes: event.body_bytes })
    : fill(words.body, { bytes: event.body_bytes ?? 0 });
  document.getElementById("console-body").textContent = event.body || "";
  const jar = Object.entries(event.cookies || {}).map(([k, v]) => `${k}=${v}`).join("; ");
  document.getElementById("console-jar").textContent = jar
    ? `${fill(words.jar, { client: event.client_ip })}: ${jar}`
    : fill(words.jarEmpty, { client: event.client_ip });
  document.getElementById("console-sticky").hidden = true;
  document.getElementById("console-trace-steps").replaceChildren();
  const request = requestsByRoot.get(event.trace_root);
  if (request) showTrace(event, request);
  else if (event.tls_error) {
    // The handshake failed before any request: there is no trace to wait for.
    document.getElementById("console-trace-note").textContent = words.traceNoRequest;
  } else {
    const note = document.getElementById("console-trace-note");
    note.textContent = words.traceWaiting;
    setTimeout(() => {
      if (result.dataset.id === event.id && result.dataset.rule === undefined) {
        note.textContent = words.traceMissing;
      }
    }, TRACE_WAIT_MS);
  }
  if (!focus) return;
  result.focus({ preventScroll: true });
  result.scrollIntoView({ block: "nearest" });
}

function showTrace(answer, request) {
  const result = document.getElementById("console-result");
  if (result.dataset.id !== answer.id) return;
  result.dataset.rule = String(request.rule ?? "");
  result.dataset.target = request.target || "";
  const { steps } = renderTrace(request, text);
  document.getElementById("console-trace-note").textContent = "";
  document.getElementById("console-trace-steps").replaceChildren(...steps);
  const sticky = document.getElementById("console-sticky");
  const reason = request.reason || "";
  if (reason.startsWith("sticky:")) {
    sticky.textContent = fill(words.sticky, { cookie: reason.slice(7), target: request.target });
    sticky.hidden = false;
  }
  lastTarget.set(answer.client_ip, request.target);
}

function rememberRequest(event) {
  const key = traceRootOf(event.trace_id);
  if (!key) return;
  requestsByRoot.set(key, event);
  if (requestsByRoot.size > KEPT_REQUESTS) requestsByRoot.delete(requestsByRoot.keys().next().value);
  for (const answer of mine.values()) {
    if (answer && answer.trace_root === key) showTrace(answer, event);
  }
}

// --- faults --------------------------------------------------------------------------------

function initFaults() {
  const form = document.getElementById("fault-form");
  form.addEventListener("submit", (submitEvent) => {
    submitEvent.preventDefault();
    const [kind, ...rest] = form.elements.on.value.split(":");
    const command = { action: "fault", mode: submitEvent.submitter?.value || "normal" };
    command[kind] = rest.join(":");
    const fallback = document.getElementById("ws-notice");
    if (!send(command, fallback, null)) postFault(form, command, fallback);
  });
}

async function postFault(form, command, errorElement) {
  const body = new FormData(form);
  body.set("mode", command.mode);
  try {
    const response = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" } });
    if (!response.ok) showError(errorElement, (await response.json()).message || "");
  } catch {
    showError(errorElement, text.ui.reconnecting);
  }
}

// --- traffic ---------------------------------------------------------------------------

function initTraffic() {
  const form = document.getElementById("traffic-settings");
  const list = document.getElementById("mix-list");
  const now = document.getElementById("traffic-now");
  for (const item of JSON.parse(document.getElementById("live-mix").textContent)) mixRow(list, item);
  document.getElementById("mix-add").addEventListener("click", () =>
    mixRow(list).querySelector("input").focus());
  form.addEventListener("submit", (submitEvent) => {
    submitEvent.preventDefault();
    send({
      action: "traffic",
      clients: Number(form.elements.clients.value),
      keep_alive: document.getElementById("traffic-keep-alive").checked,
      mix: mixOf(list),
    }, now, form);
  });
  const pause = document.getElementById("traffic-pause");
  pause.addEventListener("click", () => {
    send({ action: "traffic", paused: pause.getAttribute("aria-pressed") !== "true" }, now, null);
  });
}

function showTraffic(event) {
  const settings = event.traffic;
  if (!settings) return;
  const pause = document.getElementById("traffic-pause");
  pause.setAttribute("aria-pressed", String(Boolean(settings.paused)));
  pause.textContent = settings.paused ? words.resume : words.pause;
  const parts = [
    settings.paused ? words.paused : fill(words.settingsRps, { rps: settings.rps }),
    settings.clients ? fill(words.settingsClients, { clients: settings.clients }) : null,
    settings.keep_alive ? words.keepAliveOn : words.keepAliveOff,
    settings.mix?.length
      ? fill(words.settingsMix, { mix: settings.mix.map((m) => `${m.path} ×${m.weight}`).join(", ") })
      : null,
  ];
  const now = document.getElementById("traffic-now");
  now.textContent = parts.filter(Boolean).join(" · ");
  now.hidden = false;
}

// --- the run's frames ---------------------------------------------------------------------

function showState(state) {
  if (FINAL_STATES.has(state)) {
    root.hidden = true;
    return;
  }
  for (const control of root.querySelectorAll("button, input, select")) {
    if (control.id === "console-send" && control.textContent === words.sending) continue;
    control.disabled = state !== "running";
  }
}

// A (re)connect: the page starts again from the worker's snapshot. The console shows the
// last answer it holds (a reload forgets which requests this page sent), and the traffic
// controls the last traffic change.
function showSnapshot(snapshot) {
  [...(snapshot.console_requests || []), ...(snapshot.requests || [])].forEach(rememberRequest);
  const answer = (snapshot.consoles || []).at(-1);
  const result = document.getElementById("console-result");
  if (answer && result && result.dataset.id !== answer.id) showAnswer(answer, { focus: false });
  const traffic = (snapshot.faults || []).filter((e) => e.action === "traffic" && !e.error).at(-1);
  if (traffic) showTraffic(traffic);
}

const handlers = {
  "run.status": (event) => showState(event.state),
  request: rememberRequest,
  snapshot: showSnapshot,
  console: (event) => {
    if (mine.has(event.id)) showAnswer(event);
  },
  fault: (event) => {
    if (event.action === "traffic" && !event.error) showTraffic(event);
    const consoleError = document.getElementById("console-error");
    if (event.action === "request" && event.error && consoleError) {
      const why = text.controlErrors[event.error] || event.error;
      showError(consoleError, event.message ? `${why} (${event.message})` : why);
      resetSendButton();
    }
  },
};

function onFrame(frame) {
  if (frame.error) {
    if (errorTo && Date.now() < errorTo.until && errorTo.element.id !== "ws-notice") {
      showError(errorTo.element, frame.message);
      resetSendButton();
    }
    errorTo = null;
    return;
  }
  for (const event of frame.events || []) handlers[event.type]?.(event);
}

if (root) {
  const button = document.getElementById("console-send");
  if (button) button.dataset.label = button.textContent;
  initConsole();
  initFaults();
  initTraffic();
  showState(document.body.dataset.state || JSON.parse(document.getElementById("run-config").textContent).state);
  document.addEventListener("run:frame", (frameEvent) => onFrame(frameEvent.detail));
}
