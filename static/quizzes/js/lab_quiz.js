// In-lab questions on the run page. run_detail.js shares every socket frame as a
// "run:frame" DOM event; a `quiz` event (DESIGN.md, "Events") shows a question here, in the
// language the server picked for this viewer, and the answer goes back over the same
// socket ({"action": "quiz.answer", ...}) through a "run:send" event. The reply
// ({"quiz_result": {...}}) marks each choice and shows the explanations.
// Tests wait on body[data-quiz="asked"|"answered"].

const panel = document.getElementById("lab-quiz");
const form = document.getElementById("lab-quiz-form");
const triggerEl = document.getElementById("lab-quiz-trigger");
const promptEl = document.getElementById("lab-quiz-prompt");
const chooseEl = document.getElementById("lab-quiz-choose");
const choicesEl = document.getElementById("lab-quiz-choices");
const submitButton = document.getElementById("lab-quiz-submit");
const resultEl = document.getElementById("lab-quiz-result");
const verdictEl = document.getElementById("lab-quiz-verdict");
const explanationEl = document.getElementById("lab-quiz-explanation");

let current = null;

function choiceRow(choice, multiple) {
  const row = document.createElement("div");
  row.className = "choice";
  row.dataset.choice = String(choice.id);
  const label = document.createElement("label");
  const input = document.createElement("input");
  input.type = multiple ? "checkbox" : "radio";
  input.name = "choice";
  input.value = String(choice.id);
  const letter = document.createElement("span");
  letter.className = "choice-letter";
  letter.textContent = `${choice.letter}.`;
  const body = document.createElement("span");
  body.className = "choice-body";
  const text = document.createElement("span");
  text.className = "choice-text";
  // The server's Markdown, already sanitised (playground.quizzes.text); else plain text.
  if (choice.html) text.innerHTML = choice.html;
  else text.textContent = choice.text;
  body.append(text);
  label.append(input, letter, " ", body);
  row.append(label);
  return row;
}

function ask(event) {
  current = event;
  triggerEl.textContent = event.trigger_text || "";
  if (event.prompt_html) promptEl.innerHTML = event.prompt_html;
  else promptEl.textContent = event.prompt;
  chooseEl.hidden = !event.multiple;
  chooseEl.textContent = panel.dataset.choose.replace("{n}", String(event.choose));
  choicesEl.querySelectorAll(".choice").forEach((row) => row.remove());
  for (const choice of event.choices) choicesEl.append(choiceRow(choice, event.multiple));
  submitButton.disabled = false;
  form.hidden = false;
  resultEl.hidden = true;
  panel.hidden = false;
  panel.dataset.question = String(event.question);
  document.body.dataset.quiz = "asked";
  panel.scrollIntoView({ behavior: "smooth", block: "nearest" });
}

function answer(submitEvent) {
  submitEvent.preventDefault();
  if (!current) return;
  const choices = [...form.querySelectorAll('input[name="choice"]:checked')].map((input) =>
    Number(input.value),
  );
  submitButton.disabled = true;
  document.dispatchEvent(
    new CustomEvent("run:send", {
      detail: { action: "quiz.answer", question: current.question, choices },
    }),
  );
}

function paragraph(text, className, html) {
  const p = document.createElement(className === "choice-why" ? "span" : "div");
  if (html) p.innerHTML = html;  // sanitised by the server (playground.quizzes.text)
  else p.textContent = text;
  if (className) p.className = className;
  return p;
}

function why(lead, choice) {
  const span = paragraph("", "choice-why");
  if (lead) {
    const strong = document.createElement("strong");
    strong.textContent = lead;
    span.append(strong, " ");
  }
  const rest = document.createElement("span");
  if (choice.explanation_html) rest.innerHTML = choice.explanation_html;
  else rest.textContent = choice.explanation;
  span.append(rest);
  return span;
}

function showResult(result) {
  if (!current || result.question !== current.question) return;
  verdictEl.textContent = result.correct ? panel.dataset.correct : panel.dataset.wrong;
  verdictEl.className = `verdict ${result.correct ? "verdict-pass" : "verdict-fail"}`;
  const chosen = new Set(result.chosen);
  for (const choice of result.choices) {
    const row = choicesEl.querySelector(`[data-choice="${choice.id}"]`);
    if (!row) continue;
    row.querySelector("input").disabled = true;
    row.classList.toggle("choice-correct", choice.correct);
    row.classList.toggle("choice-wrong", !choice.correct && chosen.has(choice.id));
    const lead = choice.correct
      ? panel.dataset.correctChoice
      : chosen.has(choice.id) ? panel.dataset.wrongChoice : "";
    (row.querySelector(".choice-body") || row).append(why(lead, choice));
  }
  explanationEl.replaceChildren(paragraph(result.explanation, "", result.explanation_html));
  if (result.reference_url) {
    const link = document.createElement("a");
    link.href = result.reference_url;
    link.rel = "noopener";
    link.target = "_blank";
    link.textContent = panel.dataset.reference;
    const p = document.createElement("p");
    p.append(link);
    explanationEl.append(p);
  }
  submitButton.hidden = true;
  resultEl.hidden = false;
  document.body.dataset.quiz = "answered";
}

document.addEventListener("run:frame", (frameEvent) => {
  const frame = frameEvent.detail;
  if (frame.quiz_result) {
    showResult(frame.quiz_result);
    return;
  }
  if (frame.error && current && submitButton.disabled) submitButton.disabled = false;
  for (const event of frame.events || []) {
    if (event.type === "quiz") ask(event);
  }
});

form.addEventListener("submit", answer);
document.getElementById("lab-quiz-close").addEventListener("click", () => {
  panel.hidden = true;
  submitButton.hidden = false;
  current = null;
});
