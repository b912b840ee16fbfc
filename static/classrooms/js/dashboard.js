// The instructor's live dashboard: opens /ws/classes/<id>/dashboard/ and keeps one row per
// learner (playground.classrooms.consumers has the frames). Rows sort by any column and
// filter by name and by "running" / "looks stuck"; a stuck row says why, in words.
// Actions go over the socket; each has a plain form behind it for a page without script.
// The socket answers each action with one done/error frame, in order, so a queue of what
// waits for a reply ties each answer to its form (and keeps a button from sending twice).
// Tests wait on body[data-ws="open"], tr[data-learner][data-state] and
// body[data-live-delay-ms] (worker-to-page delay of the latest metrics event).

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const text = JSON.parse(document.getElementById("dashboard-text").textContent);
const body = document.querySelector("#dashboard tbody");
const emptyEl = document.getElementById("dashboard-empty");
const noticeEl = document.getElementById("dashboard-notice");
const filterEl = document.getElementById("dashboard-filter");
const showEl = document.getElementById("dashboard-show");
const faultForm = document.getElementById("class-fault-form");
const stopAllForm = document.getElementById("class-stop-form");
const noneShownEl = document.getElementById("dashboard-none-shown");
const tableBox = document.querySelector("#dashboard").closest(".table-scroll");
const classHintForm = document.getElementById("class-hint-form");
const classHintError = document.getElementById("class-hint-error");
const hintDialog = document.getElementById("hint-dialog");
const hintForm = document.getElementById("hint-dialog-form");
const hintError = document.getElementById("hint-dialog-error");
const waiting = [];  // one {form, done(frame), error(frame)} per action sent, oldest first
const RECONNECT_MS = [500, 1000, 2000, 4000, 8000];

const rows = new Map();  // learner id -> row data (the server's row plus live numbers)
let sortKey = "username";
let sortUp = true;
let socket = null;
let reconnects = 0;

function cell(content, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? "";
  return td;
}

function link(href, label) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = label;
  return a;
}

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

function percent(value) {
  return typeof value === "number" ? `${Math.round(value * 100)}%` : "";
}

function render(data) {
  const tr = document.createElement("tr");
  tr.dataset.learner = String(data.learner);
  tr.dataset.state = data.state || "none";
  tr.dataset.stuck = data.stuck.length ? "yes" : "no";
  if (data.stuck.length) tr.className = "is-stuck";
  tr.append(cell(link(data.detail_url, data.username)));
  tr.append(cell(data.lab || text.noRun));
  const state = document.createElement("span");
  state.className = `state state-${data.state || "none"}`;
  state.textContent = data.state ? text.states[data.state] || data.state : "—";
  tr.append(cell(state));
  const live = data.state === "running";
  tr.append(cell(live && data.rps !== undefined ? String(data.rps) : "", "number"));
  tr.append(cell(live ? percent(data.error_rate) : "", "number"));
  tr.append(cell(live && data.unhealthy !== undefined ? String(data.unhealthy) : "", "number"));
  tr.append(cell(data.last_error, "last-error"));
  const score = cell(data.quiz_score === null ? "" : `${data.quiz_score}%`, "number");
  if (data.quiz_total) {
    score.title = fill(text.answers, { right: data.quiz_right, total: data.quiz_total });
    const small = document.createElement("small");
    small.className = "meta";
    small.textContent = ` (${data.quiz_right}/${data.quiz_total})`;
    score.append(small);
  }
  tr.append(score);
  const stuck = document.createElement("span");
  if (data.stuck.length) {
    stuck.className = "stuck-reason";
    stuck.textContent = `⚠ ${text.stuck} ${data.stuck.map((r) => r.text).join(" ")}`;
  } else {
    stuck.textContent = text.fine;
  }
  tr.append(cell(stuck));
  const actions = document.createElement("td");
  actions.className = "row-actions";
  const hint = document.createElement("button");
  hint.type = "button";
  hint.className = "link-button";
  hint.textContent = text.hint;
  hint.dataset.hintLearner = String(data.learner);
  hint.setAttribute("aria-label", fill(text.hintTo, { learner: data.username }));
  actions.append(hint);
  if (data.run_url) actions.append(" ", link(data.run_url, text.watch));
  if (data.run && ["queued", "starting", "running"].includes(data.state)) {
    const stop = document.createElement("button");
    stop.type = "button";
    stop.className = "link-button link-danger";
    stop.textContent = text.stop;
    stop.dataset.stopRun = String(data.run);
    stop.setAttribute("aria-label", `${text.stop}: ${data.username}`);
    actions.append(" ", stop);
  }
  tr.append(actions);
  return tr;
}

function value(data, key) {
  if (key === "stuck") return data.stuck.length;
  const v = data[key];
  return v === null || v === undefined ? "" : v;
}

function visible(data) {
  const wanted = filterEl.value.trim().toLowerCase();
  if (wanted && !data.username.toLowerCase().includes(wanted)) return false;
  if (showEl.value === "running") return data.state === "running";
  if (showEl.value === "stuck") return data.stuck.length > 0;
  return true;
}

function draw() {
  const list = [...rows.values()].filter(visible);
  list.sort((a, b) => {
    const x = value(a, sortKey);
    const y = value(b, sortKey);
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return sortUp ? order : -order;
  });
  body.replaceChildren(...list.map(render));
  emptyEl.hidden = rows.size > 0;
  tableBox.hidden = rows.size === 0;  // headers over no one only puzzle a new class
  noneShownEl.hidden = rows.size === 0 || list.length > 0;
  for (const th of document.querySelectorAll("#dashboard th[aria-sort]")) {
    const key = th.querySelector("[data-sort]").dataset.sort;
    th.setAttribute("aria-sort", key === sortKey ? (sortUp ? "ascending" : "descending") : "none");
  }
}

function handle(frame) {
  if (frame.error || frame.done) {
    const pending = waiting.shift();
    if (pending) setBusy(pending.form, false);
    if (frame.error && pending?.error) return pending.error(frame.message);
    if (frame.done && pending?.done) pending.done();
    return showNotice(frame.message);
  }
  if (frame.rows) {
    rows.clear();
    for (const row of frame.rows) rows.set(row.learner, row);
  }
  if (frame.row) {
    const before = rows.get(frame.row.learner) || {};
    const keep = frame.row.state === "running" && before.run === frame.row.run;
    rows.set(frame.row.learner, keep ? { ...before, ...frame.row } : frame.row);
  }
  if (frame.removed !== undefined) rows.delete(frame.removed);
  if (frame.live) {
    const row = rows.get(frame.live.learner);
    if (row && row.run === frame.live.run) Object.assign(row, frame.live, { state: "running" });
    if (typeof frame.live.emitted === "number") {
      document.body.dataset.liveDelayMs = String(Math.max(0, Date.now() - frame.live.emitted * 1000).toFixed(0));
    }
  }
  draw();
}

function showNotice(message) {
  noticeEl.textContent = message || "";
  noticeEl.hidden = !message;
}

function send(message, pending = {}) {
  if (socket?.readyState !== WebSocket.OPEN) return false;
  if (pending.form) setBusy(pending.form, true);
  waiting.push(pending);
  socket.send(JSON.stringify(message));
  return true;
}

function setBusy(form, busy) {
  for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = busy;
}

function showError(element, message) {
  element.textContent = message || "";
  element.hidden = !message;
}

function openHint(learner) {
  const data = rows.get(learner);
  if (!data) return;
  hintForm.dataset.learner = String(learner);
  document.getElementById("hint-dialog-title").textContent = fill(text.hintTo, { learner: data.username });
  showError(hintError, "");
  hintDialog.showModal();
  hintForm.elements.text.focus();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${config.wsPath}`);
  socket.addEventListener("open", () => {
    document.body.dataset.ws = "open";
    reconnects = 0;
    showNotice("");
  });
  socket.addEventListener("message", (message) => handle(JSON.parse(message.data)));
  socket.addEventListener("close", () => {
    // Replies to what was sent are lost with the socket: let the forms send again.
    for (const pending of waiting.splice(0)) if (pending.form) setBusy(pending.form, false);
    document.body.dataset.ws = "reconnecting";
    showNotice(text.reconnecting);
    setTimeout(connect, RECONNECT_MS[Math.min(reconnects, RECONNECT_MS.length - 1)]);
    reconnects += 1;
  });
}

document.querySelector("#dashboard thead").addEventListener("click", (click) => {
  const button = click.target.closest("[data-sort]");
  if (!button) return;
  sortUp = sortKey === button.dataset.sort ? !sortUp : true;
  sortKey = button.dataset.sort;
  draw();
});
body.addEventListener("click", (click) => {
  const stop = click.target.closest("[data-stop-run]");
  if (stop) send({ action: "stop", run: Number(stop.dataset.stopRun) });
  const hint = click.target.closest("[data-hint-learner]");
  if (hint) openHint(Number(hint.dataset.hintLearner));
});
hintForm.addEventListener("submit", (submit) => {
  submit.preventDefault();
  const words = hintForm.elements.text.value.trim();
  if (!words) return hintForm.elements.text.focus();
  const sent = send(
    { action: "hint", learner: Number(hintForm.dataset.learner), text: words },
    {
      form: hintForm,
      done: () => { hintForm.reset(); hintDialog.close(); },
      error: (message) => showError(hintError, message),
    },
  );
  if (!sent) showError(hintError, text.reconnecting);
});
document.getElementById("hint-dialog-cancel").addEventListener("click", () => hintDialog.close());
classHintForm?.addEventListener("submit", (submit) => {
  const words = classHintForm.elements.text.value.trim();
  const sent = words && send(
    { action: "hint", learner: null, text: words },
    {
      form: classHintForm,
      done: () => { classHintForm.reset(); showError(classHintError, ""); },
      error: (message) => showError(classHintError, message),
    },
  );
  if (sent) submit.preventDefault();
});
filterEl.addEventListener("input", draw);
showEl.addEventListener("change", draw);
faultForm?.addEventListener("submit", (submit) => {
  if (send({ action: "fault", mode: faultForm.elements.mode.value, run: null }, { form: faultForm })) {
    submit.preventDefault();
  }
});
stopAllForm?.addEventListener("submit", (submit) => {
  if (!window.confirm(text.confirmStopAll)) return submit.preventDefault();
  if (send({ action: "stop", all: true }, { form: stopAllForm })) submit.preventDefault();
});

connect();
