// A target's health, as the trace panel shows it when the target is selected on the live
// diagram (run_diagram.js): its state with AWS's code and what the state means for
// traffic, the reason code and its meaning, the last checks, and its traffic. Words come
// from the page's catalogs (labs.messages via #run-text; labs.run_diagram via
// #run-diagram-config), values (codes, addresses) as the events sent them.

import { fill } from "./run_trace.js";

// A sign for each state besides its colour (colour is never the only signal).
export const HEALTH_SIGNS = {
  healthy: "✓", InService: "✓", unhealthy: "✗", OutOfService: "✗", initial: "○",
  draining: "↓", unused: "–", unavailable: "!",
};

function html(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function step(kind, title, ...body) {
  return html("li", { class: `trace-step trace-${kind}`, "data-step": kind }, html("h4", {}, title), ...body);
}

// entry: run_diagram.js's target (health: the last `health` event, checks: the newest
// ones with a check, count, inflight, outstanding, fault).
export function healthSteps(entry, text, config) {
  const words = config.words;
  const label = (table, code) => (code && text[table]?.[code]) || code || "";
  const state = entry.health?.state || "initial";
  const health = entry.health || {};
  const word = label("health", state);
  const stateStep = step("health-state", words.stateStep,
    html("p", { class: "health-now", "data-health": state },
      html("strong", {}, `${HEALTH_SIGNS[state] || "?"} ${word}`),
      // AWS's code beside a translated word (KO_GLOSSARY: 비정상(unhealthy)).
      word !== state ? html("span", {}, " (", html("code", {}, state), ")") : null),
    html("p", { class: "health-meaning" }, config.meanings[state] || ""),
    health.reason
      ? html("p", { class: "health-why" },
        fill(words.reason, { code: health.reason, meaning: label("healthReasons", health.reason) }))
      : html("p", { class: "health-why muted" }, words.noReason));
  if (health.description) stateStep.append(html("p", { class: "muted", lang: "en" }, health.description));
  if (health.previous) {
    stateStep.append(html("p", {}, fill(words.previous, { state: label("health", health.previous) })));
  }
  if (text.docs.health) {
    stateStep.append(html("p", {}, html("a", {
      href: text.docs.health, rel: "noopener", target: "_blank", class: "doc-link",
    }, fill(text.trace.docs, { page: text.docs.healthTitle }))));
  }
  const checks = html("ol", { class: "check-list" }, ...entry.checks.map((e) => checkItem(e, text)));
  const checksStep = step("health-checks", words.checksStep,
    entry.checks.length ? checks : html("p", {}, words.noChecks));
  const traffic = step("health-traffic", words.trafficStep,
    html("p", {}, fill(words.traffic, { requests: entry.count, inflight: entry.inflight })));
  if (entry.outstanding !== null) {
    traffic.append(html("p", {}, fill(words.outstanding, { count: entry.outstanding })));
  }
  if (entry.fault) {
    traffic.append(html("p", {}, fill(words.fault, { mode: label("faultModes", entry.fault) })));
  }
  return [stateStep, checksStep, traffic];
}

// As the targets table words a check (run_detail.js showCheck).
function checkItem(event, text) {
  const check = event.check;
  const passed = check.passed ?? event.state === "healthy";
  const detail = [check.status, check.error, passed ? null : event.reason].filter(Boolean).join(" · ");
  return html("li", { "data-passed": String(passed) }, fill(text.charts.check, {
    outcome: `${passed ? "✓" : "✗"} ${passed ? text.charts.checkPassed : text.charts.checkFailed}`,
    t: typeof event.t === "number" ? event.t.toFixed(1) : "",
    detail: detail || "TCP",
    latency: typeof check.latency_ms === "number" ? check.latency_ms.toFixed(1) : "-",
  }));
}
