// Pause, step, scrub and replay (issue 10). The page draws a run's events through one
// render() (run_detail.js); this module only decides which events reach it, and when.
//
// A timeline is a list of events and a way to draw the view after its first n events:
// - live: the snapshot the page connected with, then the events since (LIVE_HISTORY at most);
// - a recording (an ended run, /runs/<id>/recording/): the worker's whole story, with
//   checkpoints the server folded with the engine's RunView (labs.engine.replay), so a
//   step back draws the checkpoint at or before it and the few events after it.
// While paused the stream keeps arriving: it is held, counted ("N new events"), and drawn
// when the learner goes back to live. Tests wait on body[data-replay] ("ready" once the
// recording is in), body[data-replay-mode] (live, paused, playing) and
// body[data-replay-position].

import { fill } from "./run_trace.js";

const TIMELINE = new Set(["request", "flow", "health", "metrics", "fault", "console"]);
const LIVE_HISTORY = 5000;  // live events the timeline keeps; later ones are drawn, not kept
const SPEEDS = [0.5, 1, 2, 4];
const TICK_MS = 50;
const MAX_GAP_SECONDS = 2;  // a replay skips quiet stretches longer than this (real time)
const FINAL_STATES = new Set(["finished", "failed"]);
const EMPTY = { type: "snapshot", t: 0, counts: {}, health: [], requests: [], flows: [], faults: [], consoles: [], tls_errors: [], series: { metrics: [] } };

export function initReplay({ render, config, text }) {
  const t = text.replay;
  const el = (id) => document.getElementById(id);
  const bar = el("replay");
  if (!bar) return { live: (events) => render(events) };
  const back = el("replay-back");
  const play = el("replay-play");
  const forward = el("replay-forward");
  const liveButton = el("replay-live");
  const speed = el("replay-speed");
  const scrub = el("replay-scrub");
  const positionEl = el("replay-position");
  const modeEl = el("replay-mode");
  const newEl = el("replay-new");
  const noteEl = el("replay-note");
  const timelineList = el("health-timeline");
  const timelineEmpty = el("health-timeline-empty");

  let source = liveSource(null);
  let position = 0;  // events of the source drawn
  let mode = FINAL_STATES.has(config.state) ? "paused" : "live";
  let held = [];  // live events that came while paused and did not fit the timeline
  let fresh = 0;  // live events that came while paused
  let timer = null;
  let clock = 0;  // the replay's lab clock, seconds
  let lastTick = 0;

  function liveSource(base) {
    return { kind: "live", base, events: [], full: false, clockSpeed: config.clockSpeed || 1 };
  }

  // --- drawing -----------------------------------------------------------------------
  function snapshotAt(n) {
    if (source.kind === "live") return [source.base || EMPTY, 0];
    const points = source.checkpoints;
    let lo = 0;
    let hi = points.length - 1;
    while (lo < hi) {  // the last checkpoint at or before n
      const mid = (lo + hi + 1) >> 1;
      if (points[mid].at <= n) lo = mid;
      else hi = mid - 1;
    }
    const point = points[lo];
    const events = source.events;
    const pick = (indices) => indices.map((i) => events[i]);
    const metricsBefore = upperBound(source.metricIndex, point.at);
    const metrics = source.metricIndex.slice(metricsBefore - point.metrics, metricsBefore);
    return [{
      type: "snapshot",
      t: point.t,
      counts: point.counts,
      requests: pick(point.requests),
      health: pick(point.health),
      flows: pick(point.flows),
      faults: pick(point.faults),
      consoles: pick(point.consoles || []),
      tls_errors: pick(point.tls_errors || []),
      series: { metrics: pick(metrics) },
    }, point.at];
  }

  function seek(n) {
    n = Math.max(0, Math.min(n, source.events.length));
    const [snapshot, from] = snapshotAt(n);
    render([snapshot, ...source.events.slice(from, n)], { replay: true });
    position = n;
    show();
  }

  // Playing (or one step forward) draws the next events as they happened: they travel.
  function advance(count) {
    const batch = source.events.slice(position, position + count);
    position += batch.length;
    if (batch.length) render(batch, { replay: mode !== "playing" && count > 1 });
    show();
  }

  // --- modes -------------------------------------------------------------------------
  function pause() {
    stopTimer();
    if (mode === "live") {
      fresh = 0;
      position = source.events.length;
    }
    mode = "paused";
    show();
  }

  function goLive() {
    stopTimer();
    if (source.kind !== "live") return;
    if (position < source.events.length || held.length) {
      advance(source.events.length - position);
      if (held.length) render(held);
    }
    held = [];
    fresh = 0;
    mode = "live";
    position = source.events.length;
    show();
  }

  function startPlaying() {
    if (position >= source.events.length) {
      if (source.kind === "live" && !FINAL_STATES.has(document.body.dataset.state)) {
        goLive();
        return;
      }
      seek(0);
    }
    mode = "playing";
    const previous = source.events[position - 1] || source.events[position];
    clock = previous ? previous.t : 0;
    lastTick = performance.now();
    stopTimer();
    timer = setInterval(tick, TICK_MS);
    show();
  }

  function tick() {
    const now = performance.now();
    const rate = Number(speed.value) * source.clockSpeed;  // lab seconds a real second
    clock += ((now - lastTick) / 1000) * rate;
    lastTick = now;
    const events = source.events;
    if (position < events.length) clock = Math.max(clock, events[position].t - MAX_GAP_SECONDS * rate);
    let count = 0;
    while (position + count < events.length && events[position + count].t <= clock) count += 1;
    if (count) advance(count);
    if (position >= events.length) {
      if (source.kind === "live" && !FINAL_STATES.has(document.body.dataset.state)) goLive();
      else pause();
    }
  }

  function stopTimer() {
    if (timer !== null) clearInterval(timer);
    timer = null;
  }

  // --- what the bar says -------------------------------------------------------------
  function show() {
    const total = source.events.length;
    scrub.max = String(total);
    scrub.value = String(position);
    const event = source.events[position - 1];
    const labTime = event ? event.t.toFixed(1) : "0.0";
    const where = fill(t.position, { n: position, total, t: labTime });
    positionEl.textContent = where;
    scrub.setAttribute("aria-valuetext", where);
    const modeText = mode === "playing"
      ? fill(t.playing, { speed: speed.selectedOptions[0]?.textContent || "" })
      : mode === "live" ? t.live : source.kind === "live" ? t.paused : t.recorded;
    modeEl.textContent = modeText;
    play.textContent = mode === "playing" ? t.pause : mode === "live" ? t.pause : t.play;
    play.setAttribute("aria-pressed", String(mode === "playing"));
    back.disabled = position === 0;
    forward.disabled = position >= total && !(source.kind === "live" && held.length);
    const canGoLive = source.kind === "live" && mode !== "live" && !FINAL_STATES.has(document.body.dataset.state);
    liveButton.hidden = !canGoLive;
    newEl.hidden = !(canGoLive && fresh > 0);
    newEl.textContent = fill(fresh === 1 ? t.newEvent : t.newEvents, { n: fresh });
    showTimeline();
    const body = document.body.dataset;
    body.replayMode = mode;
    body.replayPosition = String(position);
  }

  function note() {
    const parts = [];
    if (source.kind === "live") {
      parts.push(source.full ? fill(t.liveFull, { n: LIVE_HISTORY }) : t.liveSince);
    } else {
      const omitted = source.omitted || {};
      if (omitted.request) parts.push(fill(t.omittedRequests, { n: omitted.request }));
      if (omitted.flow) parts.push(fill(t.omittedFlows, { n: omitted.flow }));
      if (source.events.some((event) => event.sampled)) parts.push(t.sampled);
    }
    noteEl.textContent = parts.join(" ");
    noteEl.hidden = !parts.length;
  }

  // --- the health timeline: every change of a target's state, up to the position -------
  function isChange(event) {
    return event.type === "health" && event.state !== event.previous;
  }

  function timelineItem(event, index) {
    const item = document.createElement("li");
    item.dataset.index = String(index);
    item.dataset.health = event.state;
    // Its time is a button: the replay goes to the moment right after this change.
    const time = document.createElement("button");
    time.type = "button";
    time.className = "link-button fault-time";
    time.dataset.seek = String(index + 1);
    time.textContent = `${event.t.toFixed(1)} s`;
    time.title = fill(t.goTo, { t: event.t.toFixed(1) });
    const from = event.previous ? (text.health[event.previous] || event.previous) : "—";
    const to = text.health[event.state] || event.state;
    const words = fill(t.change, { target: event.target, target_group: event.target_group, from, to });
    item.append(time, " ", words);
    if (event.reason) {
      const code = document.createElement("code");
      code.textContent = event.reason;
      item.append(" ", code, ` ${text.healthReasons[event.reason] || ""}`);
    }
    return item;
  }

  function rebuildTimeline() {
    if (!timelineList) return;
    timelineList.replaceChildren(
      ...source.events.flatMap((event, n) => (isChange(event) ? [timelineItem(event, n)] : [])),
    );
  }

  function showTimeline() {
    if (!timelineList) return;
    let shown = 0;
    for (const item of timelineList.children) {
      item.hidden = Number(item.dataset.index) >= position;
      if (!item.hidden) shown += 1;
    }
    timelineEmpty.hidden = shown > 0;
  }

  // --- live events, as run_detail.js's socket hands them over ----------------------------
  function live(events) {
    const now = [];
    for (const event of events) {
      if (event.type === "snapshot") {
        // A (re)connect: the timeline starts again from what the worker says.
        if (source.kind === "live") {
          source = liveSource(event);
          stopTimer();
          mode = "live";
          position = 0;
          held = [];
          fresh = 0;
          rebuildTimeline();
        }
        now.push(event);
      } else if (!TIMELINE.has(event.type) || source.kind !== "live") {
        now.push(event);  // the run's state and the like: never held
      } else if (mode === "live") {
        if (keep(event)) position = source.events.length;
        now.push(event);
      } else {
        fresh += 1;
        if (!keep(event)) held.push(event);
      }
    }
    if (now.length) render(now);
    show();
    const status = events.find((event) => event.type === "run.status");
    if (status && FINAL_STATES.has(status.state)) loadRecording();
  }

  function keep(event) {
    if (source.events.length >= LIVE_HISTORY) {
      if (!source.full) {
        source.full = true;
        note();
      }
      return false;
    }
    source.events.push(event);
    if (isChange(event) && timelineList) timelineList.append(timelineItem(event, source.events.length - 1));
    return true;
  }

  // --- a recording: the ended run's whole story ------------------------------------------
  let loading = null;
  function loadRecording() {
    if (!config.recordingUrl || loading) return loading;
    document.body.dataset.replay = "loading";
    noteEl.textContent = t.loading;  // a long run's story takes a few seconds
    noteEl.hidden = false;
    loading = fetch(config.recordingUrl, { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((story) => {
        if (!story) {
          document.body.dataset.replay = "none";
          el("replay-controls").hidden = true;  // nothing to step through
          el("replay-timeline").hidden = true;
          noteEl.textContent = t.noRecording;
          noteEl.hidden = false;
          return;
        }
        stopTimer();
        const metricIndex = [];
        story.events.forEach((event, n) => { if (event.type === "metrics") metricIndex.push(n); });
        source = { kind: "recording", ...story, metricIndex };
        held = [];
        fresh = 0;
        mode = "paused";
        rebuildTimeline();
        showStatusClasses(story.statusClasses || []);
        const share = el("share");
        if (share) share.hidden = false;  // an ended run can be shared
        note();
        seek(source.events.length);  // the whole story: what the run ended with
        document.body.dataset.replay = "ready";
      })
      .catch(() => {
        document.body.dataset.replay = "error";
        noteEl.textContent = t.loadFailed;
        noteEl.hidden = false;
        loading = null;
      });
    return loading;
  }

  // The run's answers by status code class: its exact totals (the server's summary).
  function showStatusClasses(rows) {
    const box = el("status-classes-box");
    if (!box || !rows.length) return;
    box.querySelector("tbody").replaceChildren(...rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.statusClass = row.name;
      const th = document.createElement("th");
      th.scope = "row";
      const name = document.createElement("span");
      name.className = `status-class status-class-${row.name}`;
      name.textContent = row.name;
      th.append(name, ` ${row.label}`);
      const count = document.createElement("td");
      count.className = "number";
      count.textContent = String(row.count);
      const percent = document.createElement("td");
      percent.className = "number";
      percent.textContent = `${row.percent} %`;
      tr.append(th, count, percent);
      return tr;
    }));
    box.hidden = false;
  }

  // --- the controls ---------------------------------------------------------------------
  back.addEventListener("click", () => {
    pause();
    seek(position - 1);
  });
  forward.addEventListener("click", () => {
    pause();
    if (position < source.events.length) advance(1);
    else if (held.length) goLive();
  });
  play.addEventListener("click", () => {
    if (mode === "playing" || mode === "live") pause();
    else startPlaying();
  });
  liveButton.addEventListener("click", goLive);
  timelineList?.addEventListener("click", (click) => {
    const button = click.target.closest("button[data-seek]");
    if (!button) return;
    pause();
    seek(Number(button.dataset.seek));
  });
  speed.addEventListener("change", show);
  scrub.addEventListener("input", () => {
    if (mode !== "paused") pause();
    seek(Number(scrub.value));
  });

  speed.value = String(SPEEDS[1]);
  bar.hidden = false;
  note();
  show();
  if (FINAL_STATES.has(config.state)) loadRecording();
  return { live };
}

// The number of sorted values below `limit`.
function upperBound(sorted, limit) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
