// The builder page: sends its forms with fetch and swaps in what the server sends back
// (labs/views/builder.py, _panels): the diagram, the resource list, the form, the messages
// and the template text. Without this script every form and link still works, one page
// load at a time. Tests wait on body[data-revision="N"] and body[data-builder="ready"].

const panels = {
  diagram: document.getElementById("diagram"),
  outline: document.getElementById("outline"),
  editor: document.getElementById("editor"),
  messages: document.getElementById("builder-messages"),
};
const templateField = document.getElementById("id_document");
const templateMessages = document.getElementById("template-messages");
const codeEditor = document.querySelector("[data-code-editor]");
const revisionNumber = document.getElementById("revision-number");
const tabs = [...document.querySelectorAll('[role="tab"]')];

function setRevision(number) {
  document.body.dataset.revision = String(number);
  if (revisionNumber) revisionNumber.textContent = String(number);
}

// Sections that belong to some choices (the forward / redirect / fixed-response parts of
// an action, a listener's certificate) show only while one of those is selected.
function showChosenSections(root) {
  for (const section of root.querySelectorAll("fieldset[data-show-field]")) {
    const control = section.form?.elements[section.dataset.showField] ??
      section.closest("form")?.elements[section.dataset.showField];
    if (control) section.hidden = !section.dataset.showValue.split(" ").includes(control.value);
  }
}

// The Template tab's gutter: one number per line of the text (the textarea does not wrap),
// scrolled with it; a syntax error's line is marked there and the caret put on it.
let gutter = null;

function drawGutter() {
  if (!gutter) return;
  const count = templateField.value.split("\n").length;
  if (gutter.childElementCount !== count) {
    gutter.replaceChildren(...Array.from({ length: count }, (_, index) => {
      const line = document.createElement("div");
      line.textContent = String(index + 1);
      return line;
    }));
  }
  const marked = Number(codeEditor.dataset.errorLine || 0);
  [...gutter.children].forEach((line, index) => {
    line.classList.toggle("line-error", index + 1 === marked);
  });
  gutter.scrollTop = templateField.scrollTop;
}

function markErrorLine(line, column) {
  if (!codeEditor) return;
  if (line) {
    codeEditor.dataset.errorLine = String(line);
    codeEditor.dataset.errorColumn = String(column || 1);
  } else {
    delete codeEditor.dataset.errorLine;
    delete codeEditor.dataset.errorColumn;
  }
  drawGutter();
}

function goToLine(line, column) {
  const lines = templateField.value.split("\n");
  const number = Math.min(Math.max(1, line), lines.length);
  const start = lines.slice(0, number - 1).reduce((sum, text) => sum + text.length + 1, 0);
  const caret = start + Math.min(Math.max(0, (column || 1) - 1), lines[number - 1].length);
  // The caret goes to the column, the line into the middle of the box (its number is marked
  // in the gutter); the problem above the box stays on screen.
  templateMessages?.scrollIntoView({ block: "start" });
  templateField.focus({ preventScroll: true });
  const lineHeight = parseFloat(getComputedStyle(templateField).lineHeight) || 20;
  templateField.scrollTop = Math.max(0, (number - 1) * lineHeight - templateField.clientHeight / 2);
  templateField.setSelectionRange(caret, caret);
  drawGutter();
}

function setUpCodeEditor() {
  if (!codeEditor || !templateField) return;
  gutter = document.createElement("div");
  gutter.className = "line-gutter";
  gutter.setAttribute("aria-hidden", "true");
  templateField.before(gutter);
  templateField.addEventListener("scroll", drawGutter);
  templateField.addEventListener("input", drawGutter);
  drawGutter();
  const line = Number(codeEditor.dataset.errorLine || 0);
  if (line && !document.getElementById("panel-template").hidden) {
    goToLine(line, Number(codeEditor.dataset.errorColumn || 1));
  }
}

function focusEditor(ok) {
  const invalid = panels.editor.querySelector('[aria-invalid="true"], .form-errors');
  const target = !ok && invalid ? invalid : panels.editor.querySelector("#editor-heading");
  target?.focus?.();
  if (target && !target.matches("input, select, textarea, button")) {
    target.scrollIntoView({ block: "nearest" });
  }
}

function apply(data, form) {
  const kind = form.dataset.builderForm;
  const atTemplate = kind === "template" && !data.ok && templateMessages;
  // A failed template save keeps its problems beside the text; anything else at the top.
  panels.messages.innerHTML = atTemplate ? "" : data.messages;
  if (templateMessages) templateMessages.innerHTML = atTemplate ? data.messages : "";
  panels.diagram.innerHTML = data.diagram;
  panels.outline.innerHTML = data.outline;
  if (kind !== "template" && panels.editor) {
    panels.editor.innerHTML = data.editor;
    showChosenSections(panels.editor);
  }
  if (data.ok && templateField) templateField.value = data.template;
  setRevision(data.revision);
  if (kind === "template") {
    const syntax = templateMessages?.querySelector("li[data-line]");
    markErrorLine(syntax ? Number(syntax.dataset.line) : 0, Number(syntax?.dataset.column || 1));
    if (syntax) {
      goToLine(Number(syntax.dataset.line), Number(syntax.dataset.column || 1));
    } else if (data.ok) {
      panels.messages.focus?.();
    } else {
      templateMessages?.scrollIntoView({ block: "start" });
      templateField?.focus({ preventScroll: true });
    }
  } else {
    focusEditor(data.ok);
  }
}

async function send(form, submitter) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((button) => { button.disabled = true; });
  form.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form, submitter),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    apply(await response.json(), form);
  } catch {
    form.submit(); // the server answers a plain submission with a whole page
  } finally {
    form.removeAttribute("aria-busy");
    buttons.forEach((button) => { button.disabled = false; });
  }
}

async function openEditor(link) {
  const url = new URL(link.getAttribute("href"), location.href);
  const fragment = new URL(url);
  fragment.searchParams.set("fragment", "editor");
  const response = await fetch(fragment, { credentials: "same-origin" });
  if (!response.ok) {
    location.href = url;
    return;
  }
  panels.editor.innerHTML = await response.text();
  showChosenSections(panels.editor);
  history.replaceState(null, "", url);
  focusEditor(true);
}

function selectTab(tab) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
  }
  const url = new URL(location.href);
  url.searchParams.set("tab", tab.id.replace("tab-", ""));
  history.replaceState(null, "", url);
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-builder-form]");
  if (!form) return;
  event.preventDefault();
  send(form, event.submitter);
});

document.addEventListener("click", (event) => {
  const goto = event.target.closest("a.problem-goto");
  if (goto && templateField) {
    event.preventDefault();
    selectTab(document.getElementById("tab-template"));
    goToLine(Number(goto.dataset.line), Number(goto.dataset.column || 1));
    return;
  }
  const tab = event.target.closest('[role="tab"]');
  if (tab) {
    event.preventDefault();
    selectTab(tab);
    return;
  }
  const link = event.target.closest("a[data-edit], a[data-form]");
  if (link && panels.editor) {
    event.preventDefault();
    openEditor(link);
  }
});

// Tabs follow the ARIA tabs pattern: arrow keys move between them.
for (const tab of tabs) {
  tab.tabIndex = tab.getAttribute("aria-selected") === "true" ? 0 : -1;
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    selectTab(next);
    next.focus();
  });
}

document.addEventListener("change", (event) => {
  if (event.target.closest("#editor")) showChosenSections(panels.editor);
});

if (panels.editor) showChosenSections(panels.editor);
setUpCodeEditor();
setRevision(document.body.dataset.revision ?? revisionNumber?.textContent ?? "0");
document.body.dataset.builder = "ready";
