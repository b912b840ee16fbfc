// The decision trace of one `request` event (labs.engine.trace.render), as a list of
// steps in the order the load balancer took them, each linked to the AWS page it follows.
// Words come from the page's catalog (labs.messages: trace, fields, docs), so the panel
// reads in the viewer's language; values (paths, addresses, codes) are shown as sent.

export function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_match, key) => String(values[key] ?? ""));
}

// Why a TLS handshake failed: the code's words (labs.messages.TLS_REASONS) in the viewer's
// language, then the TLS library's own words in parentheses.
export function tlsReason(reasons, code, reason) {
  const words = code ? reasons?.[code] : undefined;
  return words ? `${words} (${reason})` : reason;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function outcome(yes, text, yesWord, noWord) {
  // A symbol and a word besides the colour (colour is never the only signal).
  return el("span", { className: `outcome ${yes ? "outcome-yes" : "outcome-no"}` },
    `${yes ? "✓" : "✗"} ${yes ? yesWord : noWord}`, text ? ` ${text}` : "");
}

export function renderTrace(event, text) {
  const t = text.trace;
  const trace = event.trace || {};
  const steps = [];
  const step = (kind, title, ...body) => {
    const li = el("li", { className: `trace-step trace-${kind}` }, el("h4", {}, title), ...body);
    li.dataset.step = kind;
    const doc = text.docs[kind];
    if (doc) {
      const link = el("a", { href: doc, rel: "noopener", target: "_blank", className: "doc-link" },
        fill(t.docs, { page: text.docs[`${kind}Title`] }));
      li.append(el("p", {}, link));
    }
    steps.push(li);
    return li;
  };
  const path = event.query ? `${event.path}?${event.query}` : event.path;

  step("listener", t.request, el("p", {}, fill(t.requestLine, {
    client: `${event.client_ip}:${event.client_port}`, method: event.method, path,
    protocol: event.protocol, port: event.listener, az: event.node_az,
  })), el("p", { className: "muted" }, `Host: ${event.host}`));

  if (trace.rules) step("rules", t.rules, rulesList(trace.rules, text));
  if (trace.action) step("action", t.action, el("p", {}, actionText(trace.action, t)));
  if (trace.target_group) step("targetGroup", t.targetGroup, el("p", {}, groupText(trace.target_group, t)));
  if (trace.target) targetStep(step, trace.target, text);
  step("headers", t.headers, headersList(event.headers_sent, t));
  step("response", t.response, ...responseBody(event, t));
  if (trace.error) {
    step("error", t.error,
      el("p", {}, fill(t.errorCause, { status: trace.error.status, cause: trace.error.cause })),
      el("p", { lang: "en", className: "muted" }, trace.error.why || ""));
  }
  const ms = event.latency_ms || {};
  const show = (v) => (typeof v === "number" ? v.toFixed(3) : "-");
  step("timings", t.timings, el("p", {}, fill(t.timing, {
    request: show(ms.request), target: show(ms.target), response: show(ms.response),
  })));
  step("log", t.log, el("pre", { className: "trace-log-line" }, el("code", {}, event.log || "")));
  return { heading: fill(t.heading, { request: `${event.method} ${path}` }), steps };
}

function rulesList(rules, text) {
  const t = text.trace;
  if (!rules.length) return el("p", {}, t.noRules);
  const list = el("ol", { className: "trace-rules" });
  for (const rule of rules) {
    const isDefault = rule.rule === "default";
    const title = isDefault ? t.defaultRule : fill(t.rule, { priority: rule.rule });
    const item = el("li", { className: "trace-rule" },
      el("strong", {}, title), rule.name ? ` (${rule.name})` : "", " ",
      outcome(rule.matched, "", "", ""),
      el("p", {}, isDefault ? t.defaultUsed : rule.matched ? t.ruleMatched : t.ruleNotMatched));
    item.dataset.rule = String(rule.rule);
    item.dataset.matched = String(rule.matched);
    if (rule.conditions.length) {
      const conditions = el("ul", { className: "trace-conditions" });
      for (const c of rule.conditions) {
        const field = text.fields[c.field] || c.field;
        const condition = fill(t.condition, { field, values: c.values.join(t.or) });
        conditions.append(el("li", {}, `${condition}: `,
          outcome(c.matched, `(${fill(t.seen, { seen: c.seen })})`, t.conditionMatch, t.conditionNoMatch)));
      }
      item.append(conditions);
    }
    list.append(item);
  }
  return list;
}

function actionText(action, t) {
  if (action.type === "forward") {
    const groups = (action.target_groups || [])
      .map((g) => (action.target_groups.length > 1 ? fill(t.weight, { group: g.name, weight: g.weight }) : g.name))
      .join("; ");
    return fill(t.forward, { groups });
  }
  if (action.type === "redirect") return fill(t.redirect, { status: action.status, location: action.location });
  if (action.type === "fixed-response") {
    return fill(t.fixedResponse, { status: action.status, contentType: action.content_type });
  }
  return action.type;
}

function groupText(group, t) {
  if (group.stickiness?.honoured) return fill(t.groupSticky, { group: group.chosen });
  if (group.draw === null || group.draw === undefined) return fill(t.allZero, { group: group.chosen });
  const total = Object.values(group.weights || {}).reduce((a, b) => a + b, 0);
  return fill(t.draw, { draw: group.draw, total, group: group.chosen });
}

function targetStep(step, target, text) {
  const t = text.trace;
  const reason = (target.reason && text.routing[target.reason]) || target.reason || "";
  const body = [el("p", {}, fill(t.chosen, { target: target.chosen || t.none, reason }))];
  const candidates = (target.candidates || []).join(", ");
  const count = (target.candidates || []).length;
  if (target.fail_open) body.push(el("p", {}, t.failOpen));
  if (target.cross_zone === false) body.push(el("p", {}, t.zonal));
  if (typeof target.position === "number") {
    body.push(el("p", {}, fill(t.roundRobin, { position: target.position, count, candidates })));
  } else if (target.outstanding) {
    const outstanding = Object.entries(target.outstanding).map(([k, v]) => `${k}: ${v}`).join(", ");
    body.push(el("p", {}, fill(t.leastOutstanding, { outstanding })));
  } else if (count) {
    body.push(el("p", {}, fill(t.randomPick, { count, candidates })));
  }
  if (target.slow_start) {
    const shares = Object.entries(target.slow_start).map(([k, v]) => `${k}: ${Math.round(v * 100)}%`).join(", ");
    body.push(el("p", {}, fill(t.slowStart, { shares })));
  }
  step("target", t.target, ...body);
  const sticky = target.stickiness;
  if (sticky) {
    const how = sticky.honoured
      ? fill(t.stickyHonoured, { cookie: sticky.cookie, target: target.chosen })
      : fill(t.stickyNotHonoured, {
        cookie: sticky.cookie,
        outcome: text.stickyOutcomes[sticky.outcome] || sticky.outcome,
      });
    step("sticky", text.docs.stickyTitle, el("p", {}, fill(t.sticky, { outcome: how })));
  }
}

function headersList(headers, t) {
  if (!headers) return el("p", {}, t.noHeaders);
  const list = el("dl");
  for (const [name, value] of Object.entries(headers)) {
    list.append(el("dt", {}, name), el("dd", {}, el("code", {}, value ?? "")));
  }
  return list;
}

function responseBody(event, t) {
  const body = [el("p", {}, event.target_status_code
    ? fill(t.targetStatus, { status: event.target_status_code })
    : t.noTargetStatus)];
  const headers = Object.entries(event.response_headers || {})
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join("; ") : v}`).join(" · ");
  if (headers) body.push(el("p", {}, fill(t.responseHeaders, { headers })));
  return body;
}
