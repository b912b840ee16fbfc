// The live quiz (instructor-paced), for the instructor and for learners: one socket,
// /ws/classes/<id>/live/, sends {"live": view} after every change (playground.classrooms
// .live_quiz.view has its shape). Prompts and choices arrive as sanitised HTML.
// Tests wait on body[data-ws="open"], body[data-live-state], body[data-live-position],
// body[data-live-answered] and body[data-live-mine="sent"|"right"|"wrong"].

const config = JSON.parse(document.getElementById("live-config").textContent);
const text = JSON.parse(document.getElementById("live-text").textContent);
const $ = (id) => document.getElementById(id);
const statusEl = $("live-status");
const promptEl = $("live-prompt");
const chooseEl = $("live-choose");
const form = $("live-form");
const choicesEl = $("live-choices");
const mineEl = $("live-mine");
const explanationEl = $("live-explanation");
const board = $("live-board");
const boardList = $("live-board-list");
const noticeEl = $("live-notice");
const controls = $("live-controls");
const startForm = $("live-start");
const leaderboardBox = $("live-leaderboard");
const RECONNECT_MS = [500, 1000, 2000, 4000, 8000];

let socket = null;
let reconnects = 0;
let shownQuestion = null;  // id of the question drawn, so a learner's pick survives redraws

const fill = (template, values) =>
  template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function choiceRow(choice, question, view) {
  const row = document.createElement("div");
  row.className = "choice";
  row.dataset.choice = String(choice.id);
  const label = document.createElement("label");
  if (!config.teaching) {
    const input = document.createElement("input");
    input.type = question.multiple ? "checkbox" : "radio";
    input.name = "choice";
    input.value = String(choice.id);
    input.checked = view.mine?.choices.includes(choice.id) || false;
    input.disabled = Boolean(view.mine) || view.state !== "asking";
    label.append(input);
  }
  const letter = document.createElement("span");
  letter.className = "choice-letter";
  letter.textContent = `${choice.letter}.`;
  const body = document.createElement("span");
  body.className = "choice-body";
  const words = document.createElement("span");
  words.className = "choice-text";
  words.innerHTML = choice.html;  // sanitised by the server
  body.append(words);
  if (view.distribution) {
    const count = view.distribution[String(choice.id)] || 0;
    const total = Math.max(1, view.answered || 0);
    const bar = document.createElement("span");
    bar.className = "live-bar";
    bar.dataset.count = String(count);
    const fillEl = document.createElement("span");
    fillEl.className = "live-bar-fill";
    fillEl.style.width = `${Math.round((100 * count) / total)}%`;
    const label2 = document.createElement("span");
    label2.className = "live-bar-label";
    label2.textContent = fill(text.picks, { count, percent: `${Math.round((100 * count) / total)}%` });
    bar.append(fillEl, label2);
    body.append(bar);
  }
  if (choice.correct !== undefined) {
    row.classList.toggle("choice-correct", choice.correct);
    const why = document.createElement("span");
    why.className = "choice-why";
    if (choice.correct) {
      const strong = document.createElement("strong");
      strong.textContent = `✔ ${text.correct}`;
      why.append(strong, " ");
    }
    const rest = document.createElement("span");
    rest.innerHTML = choice.why_html;  // sanitised by the server
    why.append(rest);
    body.append(why);
  }
  label.append(letter, " ", body);
  row.append(label);
  return row;
}

function showMine(view) {
  let state = "";
  let words = "";
  if (view.mine && view.mine.correct !== undefined) {
    state = view.mine.correct ? "right" : "wrong";
    words = view.mine.correct ? fill(text.right, view.mine) : text.wrong;
  } else if (view.mine) {
    state = "sent";
    words = text.sent;
  }
  if (!config.teaching && typeof view.my_points === "number" && view.position) {
    words = `${words} ${fill(text.myPoints, { points: view.my_points })}`.trim();
  }
  mineEl.textContent = words;
  mineEl.hidden = !words;
  document.body.dataset.liveMine = state;
}

function show(view) {
  document.body.dataset.liveState = view.state;
  document.body.dataset.livePosition = String(view.position || 0);
  document.body.dataset.liveAnswered = String(view.answered || 0);
  if (controls) controls.hidden = !["lobby", "asking", "revealed"].includes(view.state);
  if (startForm) startForm.hidden = ["lobby", "asking", "revealed"].includes(view.state);
  if (leaderboardBox) leaderboardBox.checked = Boolean(view.leaderboard_on);
  const question = view.question;
  if (view.state === "none" || view.state === "finished" || view.state === "lobby" || !question) {
    statusEl.textContent = { none: text.none, finished: text.finished, lobby: text.lobby }[view.state] || "";
    promptEl.replaceChildren();
    form.hidden = true;
    chooseEl.hidden = true;
    explanationEl.hidden = true;
  } else {
    const where = fill(text.question, view);
    const answered = view.members !== undefined ? fill(text.answered, view) : "";
    statusEl.textContent = `${view.title} · ${where}${config.teaching ? ` · ${answered}` : ""}`;
    if (shownQuestion !== question.id || config.teaching || view.state !== "asking" || view.mine) {
      promptEl.innerHTML = question.prompt_html;  // sanitised by the server
      choicesEl.replaceChildren(...question.choices.map((c) => choiceRow(c, question, view)));
      shownQuestion = question.id;
    }
    chooseEl.hidden = !question.multiple;
    chooseEl.textContent = fill(text.chooseN, { count: question.choose });
    form.hidden = false;
    const submit = $("live-submit");
    if (submit) submit.hidden = Boolean(view.mine) || view.state !== "asking";
    explanationEl.hidden = !question.explanation_html;
    explanationEl.innerHTML = question.explanation_html || "";
  }
  showMine(view);
  board.hidden = !view.leaderboard;
  boardList.replaceChildren(
    ...(view.leaderboard || []).map((row) => {
      const li = document.createElement("li");
      li.textContent = `${row.username} — ${row.points} ${text.points}`;
      return li;
    }),
  );
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${config.wsPath}`);
  socket.addEventListener("open", () => {
    document.body.dataset.ws = "open";
    reconnects = 0;
  });
  socket.addEventListener("message", (message) => {
    const frame = JSON.parse(message.data);
    if (frame.error) {
      noticeEl.textContent = frame.message;
      noticeEl.hidden = false;
      return;
    }
    noticeEl.hidden = true;
    if (frame.live) show(frame.live);
  });
  socket.addEventListener("close", () => {
    document.body.dataset.ws = "reconnecting";
    setTimeout(connect, RECONNECT_MS[Math.min(reconnects, RECONNECT_MS.length - 1)]);
    reconnects += 1;
  });
}

form.addEventListener("submit", (submitEvent) => {
  submitEvent.preventDefault();
  const choices = [...form.querySelectorAll('input[name="choice"]:checked')].map((i) => Number(i.value));
  send({ action: "answer", choices });
});
controls?.addEventListener("click", (click) => {
  const button = click.target.closest("[data-live]");
  if (button) send({ action: button.dataset.live });
});
leaderboardBox?.addEventListener("change", () => send({ action: "leaderboard", shown: leaderboardBox.checked }));

connect();
