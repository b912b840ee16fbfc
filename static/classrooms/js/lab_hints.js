// The instructor's hints on the run page. run_detail.js shares each socket frame as a
// "run:frame" DOM event; a `hint` event shows here at once (and again after a reload
// until the learner dismisses it, which sends {"action": "hint.read"} over the socket).
// Tests wait on body[data-hint="shown"].

const panel = document.getElementById("lab-hints");
const list = panel?.querySelector("ul");
const shown = new Set();

function show(event) {
  if (shown.has(event.id)) return;
  shown.add(event.id);
  const item = document.createElement("li");
  item.dataset.hint = String(event.id);
  const words = document.createElement("span");
  words.className = "hint-text";
  words.textContent = event.text;
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.className = "link-button";
  dismiss.textContent = panel.dataset.dismiss;
  dismiss.addEventListener("click", () => {
    document.dispatchEvent(new CustomEvent("run:send", { detail: { action: "hint.read", ids: [event.id] } }));
    item.remove();
    panel.hidden = list.children.length === 0;
  });
  item.append(words, " ", dismiss);
  list.append(item);
  panel.hidden = false;
  document.body.dataset.hint = "shown";
}

if (panel) {
  document.addEventListener("run:frame", (frameEvent) => {
    for (const event of frameEvent.detail.events || []) {
      if (event.type === "hint") show(event);
    }
  });
}
