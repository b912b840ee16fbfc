// An exam page's countdown. The server owns the clock: it renders the seconds left
// (data-seconds-left), refuses saves after the deadline and scores the attempt then. This
// only shows the time and, at zero, hands the page back to the server.
// Tests may read body[data-seconds-left].

const timeEl = document.getElementById("time-left");
const form = document.getElementById("exam-form");

function format(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

function timeUp() {
  if (form && !form.hidden) {
    // Saves what is picked now; after the deadline the server refuses it and shows the score.
    const go = document.createElement("input");
    go.type = "hidden";
    go.name = "go";
    go.value = "review";
    form.append(go);
    form.submit();
  } else {
    location.href = form?.dataset.reviewUrl || location.href;
  }
}

if (timeEl) {
  const total = Number(timeEl.dataset.secondsLeft);
  const started = performance.now();
  const tick = () => {
    const left = Math.max(0, Math.ceil(total - (performance.now() - started) / 1000));
    timeEl.textContent = format(left);
    document.body.dataset.secondsLeft = String(left);
    if (left <= 60) timeEl.classList.add("time-short");
    if (left === 0) {
      clearInterval(timer);
      timeUp();
    }
  };
  const timer = setInterval(tick, 1000);
  tick();
}
