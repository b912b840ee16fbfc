"""Codes travel in events and rows; this table turns them into words for a viewer.

The engine and runtime speak codes only (run states, AWS reason codes, balancing reasons).
Every sentence a learner reads about them is here, translated, so the page, the admin and
the tests agree (STYLE.md §7).
"""

from collections.abc import Mapping

from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from labs.runtime import targets

RUN_STATES = {
    "queued": pgettext_lazy("run state", "Queued"),
    "starting": pgettext_lazy("run state", "Starting"),
    "running": pgettext_lazy("run state", "Running"),
    "stopping": pgettext_lazy("run state", "Stopping"),
    "finished": pgettext_lazy("run state", "Finished"),
    "failed": pgettext_lazy("run state", "Failed"),
}

# Why a run ended (LabRun.reason).
RUN_REASONS = {
    "stopped": _("Stopped by a person."),
    "time-limit": _("The run reached its time limit."),
    "worker-shutdown": _("The worker shut down and stopped the run."),
    "worker-lost": _("The worker running this lab stopped answering."),
    "template-error": _("The CloudFormation template has problems."),
    "sandbox-error": _("The sandbox could not open its sockets."),
    "internal-error": _("Something went wrong in the worker."),
    "run-lost": _("The run was ended elsewhere."),
    # Not an ending: why a queued run has not started yet.
    "waiting-for-slot": _("Waiting for a free lab slot."),
}

# Target health states, as the ELB console names them.
HEALTH_STATES = {
    "initial": pgettext_lazy("target health", "initial"),
    "healthy": pgettext_lazy("target health", "healthy"),
    "unhealthy": pgettext_lazy("target health", "unhealthy"),
    "unhealthy.draining": pgettext_lazy("target health", "unhealthy.draining"),
    "unused": pgettext_lazy("target health", "unused"),
    "draining": pgettext_lazy("target health", "draining"),
    "unavailable": pgettext_lazy("target health", "unavailable"),
}

# AWS TargetHealth reason codes (DescribeTargetHealth, "Target health reason codes").
HEALTH_REASONS = {
    "Elb.RegistrationInProgress": _("The target is being registered with the load balancer."),
    "Elb.InitialHealthChecking": _("Initial health checks are in progress."),
    "Elb.InternalError": _("Health checks failed because of an internal error."),
    "Target.ResponseCodeMismatch": _("The health check did not return an expected status code."),
    "Target.Timeout": _("The health check timed out."),
    "Target.FailedHealthChecks": _("The target failed its health checks."),
    "Target.NotRegistered": _("The target is not registered with the target group."),
    "Target.NotInUse": _("The target group is not used by any load balancer."),
    "Target.DeregistrationInProgress": _("The target is being deregistered."),
    "Target.InvalidState": _("The target is stopped or terminated."),
    "Target.IpUnusable": _("The target's IP address is in use by a load balancer."),
    "Target.HealthCheckDisabled": _("Health checks are disabled."),
}

# Why the load balancer picked a target (the `reason` of a request event).
ROUTING_REASONS = {
    "round_robin": _("round robin"),
    "least_outstanding_requests": _("least outstanding requests"),
    "weighted_random": _("weighted random"),
    "fail_open": _("fail open: no target is healthy, so every target gets traffic"),
    "sticky:AWSALB": _("sticky session (AWSALB cookie)"),
    "sticky:AWSALBAPP-0": _("sticky session (application cookie)"),
    "slow_start": _("slow start: a target back in service ramps up its share"),
    "lambda": _("a Lambda function answers (no health checks)"),
    "redirect": _("redirect"),
    "fixed-response": _("fixed response"),
}


# --- flows (NLB, GWLB, Classic TCP): labs.engine.events.Flow ----------------------------

# A flow event's state.
FLOW_STATES = {
    "open": pgettext_lazy("flow state", "open"),
    "closed": pgettext_lazy("flow state", "closed"),
    "reset": pgettext_lazy("flow state", "reset"),
    "dropped": pgettext_lazy("flow state", "dropped"),
    "delivered": pgettext_lazy("flow state", "delivered"),
}

# Why a flow went to its target (labs.engine.flows, labs.engine.gateway).
FLOW_REASONS = {
    "flow_hash": _("flow hash over every healthy target"),
    "flow_hash:own_zone": _("flow hash over this node's Availability Zone (cross-zone off)"),
    "fail_open": _("fail open: no target is healthy, so every target gets traffic"),
    "existing_flow": _("an existing flow keeps its target"),
    "existing_flow:no_rebalance": _(
        "an existing flow keeps its target, though the target is no longer healthy"
    ),
}

# Who ended a flow (Flow.closed_by).
FLOW_CLOSED_BY = {
    "client": _("by the client"),
    "target": _("by the target"),
    "idle_timeout": _("idle timeout"),
    "load_balancer": _("by the load balancer"),
    "unhealthy_target": _("the target became unhealthy"),
    "deregistration_delay": _("the deregistration delay ended"),
}

# A GWLB appliance's verdict on an inner packet.
FLOW_VERDICTS = {
    "allow": pgettext_lazy("appliance verdict", "allowed"),
    "drop": pgettext_lazy("appliance verdict", "dropped"),
}

FLOW_UI = {
    "noVerdict": _("no verdict"),
    "byRule": _("rule %(rule)s"),
}


# Sentences the run page's script writes itself.
UI = {
    # A tls.error event (labs.engine.events.TlsNegotiationError); the reason stays as the
    # TLS library words it.
    "tlsError": _(
        "%(client)s asked for %(host)s on port %(port)s; the TLS handshake failed, so no "
        "request was sent: %(reason)s"
    ),
    "disconnected": _("Connection lost. Reload the page to reconnect."),
    "stopRequested": _("Stopping…"),
    "noRequests": _("No requests yet."),
    "default": pgettext_lazy("listener rule", "default"),
    "queuePosition": _("Position in the queue: %(position)s."),
    "reconnecting": _("Connection lost. Reconnecting…"),
    "reconnected": _("Reconnected."),
    "stopUnconfirmed": _(
        "The worker has not confirmed the stop yet. It will stop the run within a few "
        "seconds; if it does not, reload the page."
    ),
    "stopFailed": _("The stop request did not reach the site. Try again."),
}


# Why a client's TLS handshake failed (a tls.error event's `code`, labs.runtime.traffic's
# tls_code); the TLS library's own words follow in parentheses.
TLS_REASONS = {
    "hostname-mismatch": _("the certificate does not cover the host name asked for"),
    "unknown-ca": _("the certificate is not signed by an authority the client trusts"),
    "certificate-expired": _("the certificate has expired"),
    "certificate-not-yet-valid": _("the certificate is not valid yet"),
    "certificate-invalid": _("the certificate is not valid"),
    "no-certificate-for-name": _(
        "the listener has no certificate for the host name asked for (SNI)"
    ),
    "protocol-version": _("the client and the listener's security policy share no TLS version"),
    "no-shared-cipher": _("the client and the listener's security policy share no cipher"),
    "handshake-failure": _("the handshake failed"),
}


# --- the decision trace (a request event's `trace`; labs.engine.trace) -----------------

# Listener rule condition types, as the console names them.
CONDITION_FIELDS = {
    "host-header": _("Host header"),
    "path-pattern": _("Path"),
    "http-request-method": _("HTTP request method"),
    "http-header": _("HTTP header"),
    "query-string": _("Query string"),
    "source-ip": _("Source IP"),
}

# The trace panel's words; the script fills in the placeholders from the trace.
TRACE = {
    "heading": _("How the load balancer handled %(request)s"),
    "close": _("Close"),
    "open": _("Show how the load balancer handled this request"),
    "hint": _("Select a request (click it, or Enter) to see each decision the load balancer made."),
    "docs": _("AWS documentation: %(page)s"),
    "request": _("The request"),
    "requestLine": _(
        "%(client)s sent %(method)s %(path)s to listener %(protocol)s:%(port)s, node in %(az)s."
    ),
    "rules": _("Listener rules, in priority order"),
    "rule": _("Rule with priority %(priority)s"),
    "defaultRule": _("Default rule"),
    "ruleMatched": _("Matched: every condition is true, so this rule's action is used."),
    "ruleNotMatched": _("Not matched: a condition is false, so the next rule is tried."),
    "defaultUsed": _("No other rule matched, so the default rule's action is used."),
    "noRules": _("No rule was evaluated: the load balancer refused the request first."),
    "condition": _("%(field)s is %(values)s"),
    "conditionMatch": _("true"),
    "conditionNoMatch": _("false"),
    "seen": _("the request had %(seen)s"),
    "or": _(" or "),
    "action": _("Action"),
    "forward": _("Forward to target group %(groups)s"),
    "redirect": _("Redirect (%(status)s) to %(location)s"),
    "fixedResponse": _("Fixed response %(status)s (%(contentType)s)"),
    "weight": _("%(group)s, weight %(weight)s"),
    "targetGroup": _("Weighted target group choice"),
    "draw": _("A draw of %(draw)s out of a total weight of %(total)s falls in %(group)s's share."),
    "allZero": _("Every weight is 0, so the first target group, %(group)s, is used."),
    "groupSticky": _("The AWSALBTG cookie keeps this client on target group %(group)s."),
    "target": _("Target selection"),
    "chosen": _("Chosen target: %(target)s (%(reason)s)."),
    "roundRobin": _(
        "Round robin: position %(position)s among %(count)s healthy targets: %(candidates)s."
    ),
    "leastOutstanding": _("Least outstanding requests: %(outstanding)s."),
    "randomPick": _("A pick among %(count)s targets: %(candidates)s."),
    "failOpen": _(
        "No target is healthy, so the load balancer fails open: "
        "every registered target can get traffic."
    ),
    "zonal": _(
        "Cross-zone load balancing is off: only targets in this node's Availability Zone count."
    ),
    "slowStart": _("Slow start shares: %(shares)s."),
    "sticky": _("Sticky session: %(outcome)s"),
    "stickyHonoured": _("the %(cookie)s cookie pins this client to %(target)s."),
    "stickyNotHonoured": _(
        "the %(cookie)s cookie did not apply (%(outcome)s), so a target was chosen anew."
    ),
    "headers": _("Headers the load balancer added"),
    "noHeaders": _("The request did not reach a target, so no headers were added."),
    "response": _("The target's response"),
    "targetStatus": _("The target answered %(status)s."),
    "noTargetStatus": _("No target answered."),
    "responseHeaders": _("Response headers: %(headers)s"),
    "error": _("The load balancer's own answer"),
    "errorCause": _("It answered %(status)s itself. Cause: %(cause)s."),
    "timings": _("Timings"),
    "timing": _(
        "request processing %(request)s ms · target processing %(target)s ms · "
        "response processing %(response)s ms"
    ),
    "log": _("The access-log line"),
    "none": _("none"),
}

# Why a stickiness cookie did not pin the request (labs.engine.routing's outcomes).
STICKY_OUTCOMES = {
    "no_cookie": _("the request carried no such cookie"),
    "invalid": _("the cookie is not one this load balancer signed"),
    "other_group": _("the cookie belongs to another target group"),
    "expired": _("the stickiness duration has expired"),
    "target_gone": _("the pinned target is no longer registered"),
    "target_unhealthy": _("the pinned target is not healthy"),
}

# The AWS documentation page each step follows. English paths; the base depends on the
# viewer's language (AWS serves a Korean translation of each page under ko_kr).
DOCS = {
    "listener": ("load-balancer-listeners.html", _("Listeners")),
    "rules": ("rule-condition-types.html", _("Listener rule condition types")),
    "action": ("rule-action-types.html", _("Listener rule action types")),
    "targetGroup": ("rule-action-types.html", _("Forward actions")),
    "target": ("load-balancer-target-groups.html", _("Target groups")),
    "sticky": ("sticky-sessions.html", _("Sticky sessions")),
    "headers": ("x-forwarded-headers.html", _("HTTP headers and Application Load Balancers")),
    "error": (
        "load-balancer-troubleshooting.html",
        _("Troubleshoot your Application Load Balancers"),
    ),
    "log": ("load-balancer-access-logs.html", _("Access logs")),
    "health": ("target-group-health-checks.html", _("Health checks for target groups")),
    "metrics": ("load-balancer-cloudwatch-metrics.html", _("CloudWatch metrics")),
}
DOCS_BASE = {
    "en": "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/",
    "ko": "https://docs.aws.amazon.com/ko_kr/elasticloadbalancing/latest/application/",
}

# The live charts (the `metrics` events), in the run page's order, and their words.
CHART_IDS = ("requests", "latency", "hosts", "errors")
CHARTS = {
    "requests": _("Requests a second (RequestCount)"),
    "latency": _("Target response time, ms (TargetResponseTime)"),
    "hosts": _("Healthy and unhealthy targets (HealthyHostCount, UnHealthyHostCount)"),
    "errors": _("5XX answers a second: the load balancer's own vs the targets'"),
    "last": _("Last second: %(values)s"),
    "waiting": _("Waiting for the first second of metrics."),
    "time": _("lab time (s)"),
    "healthy": _("%(group)s healthy"),
    "unhealthy": _("%(group)s unhealthy"),
    "elb5xx": _("HTTPCode_ELB_5XX_Count (load balancer)"),
    "target5xx": _("HTTPCode_Target_5XX_Count (targets)"),
    "checkPassed": pgettext_lazy("health check", "passed"),
    "checkFailed": pgettext_lazy("health check", "failed"),
    "check": _("%(outcome)s at %(t)s s: %(detail)s, %(latency)s ms"),
    "noChecks": _("No checks yet."),
}


# An ended run's answers by the status code's first digit (its summary on the run page).
STATUS_CLASSES = {
    "2": _("successful"),
    "3": _("redirects"),
    "4": _("client errors"),
    "5": _("server errors"),
}

# --- pause, step and replay (static/labs/js/run_replay.js) -----------------------------

REPLAY = {
    "position": _("Event %(n)s of %(total)s · lab time %(t)s s"),
    "live": _("Live"),
    "paused": _("Paused: new events are held until you go back to live."),
    "recorded": _("The run's recording"),
    "playing": _("Replaying at %(speed)s"),
    "play": _("▶ Play"),
    "pause": _("❚❚ Pause"),
    "newEvent": _("%(n)s new event"),
    "newEvents": _("%(n)s new events"),
    "liveSince": _("The timeline holds what happened since this page opened."),
    "liveFull": _(
        "The timeline is full (%(n)s events): later events are shown but not kept. "
        "Once the run ends, its whole recording can be replayed."
    ),
    "omittedRequests": _(
        "%(n)s request events were left out of the recording (it keeps a limited number); "
        "the charts and the totals above are exact."
    ),
    "omittedFlows": _("%(n)s flow events were left out of the recording."),
    "sampled": _("Traffic outran the page, so the request list is a sample; the charts are exact."),
    "loading": _("Loading the run's recording…"),
    "noRecording": _("This run has no recording, so it cannot be replayed."),
    "loadFailed": _("The recording could not be loaded. Reload the page to try again."),
    "change": _("%(target)s in %(target_group)s: %(from)s → %(to)s"),
    "goTo": _("Show the run right after this change (lab time %(t)s s)"),
}


# --- changing a running lab (the `fault` event; labs.runtime.control) -------------------

# A dummy target's behaviour, as the run page's fault menu offers it: the words for each
# mode; which modes exist, and their order, is the runtime's FAULT_MODES (below).
_FAULT_MODE_WORDS = {
    "normal": pgettext_lazy("fault mode", "normal"),
    "stopped": pgettext_lazy("fault mode", "stopped, refuse connections"),
    "hang": pgettext_lazy("fault mode", "hang, never answer (504)"),
    "5xx": pgettext_lazy("fault mode", "answer every request with 500"),
    "slow": pgettext_lazy("fault mode", "slow down, answer 1 s later"),
    "flap": pgettext_lazy("fault mode", "flap, up and down by turns"),
    "unhealthy": pgettext_lazy("fault mode", "fail health checks (500)"),
    "reset": pgettext_lazy("fault mode", "reset the connection (502)"),
    "garbage": pgettext_lazy("fault mode", "answer with garbage (502)"),
    "short-body": pgettext_lazy("fault mode", "send less body than Content-Length (504)"),
}
# A mode the runtime gains without words here fails at import, in every test at once.
FAULT_MODES = {mode: _FAULT_MODE_WORDS[mode] for mode in targets.FAULT_MODES}

# What each fault does, as the run page explains it beside the buttons (AWS's view).
FAULT_HELP = {
    "stopped": _(
        "Stop: the instance is stopped. Its target groups show it unused "
        "(Target.InvalidState): no health checks, no requests; started again, it is checked "
        "from initial."
    ),
    "hang": _(
        "Hang: the instance accepts connections and never answers. Requests end in 504 "
        "after the idle timeout; health checks time out (Target.Timeout)."
    ),
    "5xx": _(
        "5xx: the application answers every request with 500, but its health-check path "
        "still answers 200, so the target stays healthy and HTTPCode_Target_5XX_Count rises."
    ),
    "slow": _(
        "Slow: every answer, health checks included, comes 1 s later. TargetResponseTime "
        "rises; a health check whose timeout is shorter on the lab clock fails."
    ),
    "flap": _(
        "Flap: the instance is up, then down (500 to everything), by turns, each long "
        "enough for its health checks to cross the threshold."
    ),
    "normal": _("Clear: the instance behaves normally again."),
    "az": _(
        "A fault on an Availability Zone hits every instance in that zone at once, as an "
        "impaired zone would. With cross-zone load balancing on, the other zones' targets "
        "take its traffic; with it off, that zone's load balancer node has no healthy "
        "target and fails open to all of them."
    ),
}

# One line of the run page's Faults log per `fault` event, by its action. The script
# fills in the placeholders from the event.
FAULT_LOG = {
    "deregister": _("%(by)s deregistered %(target)s from %(target_group)s."),
    "register": _("%(by)s registered %(target)s with %(target_group)s."),
    "fault": _("%(by)s set %(target)s to: %(mode)s."),
    "faultAz": _("%(by)s set every instance in %(az)s (%(targets)s) to: %(mode)s."),
    "settings": _("%(by)s changed the traffic: %(settings)s."),
    "resume": _("%(by)s resumed the traffic at %(rps)s requests a second."),
    "traffic": _("%(by)s set the traffic to %(rps)s requests a second."),
    "pause": _("%(by)s paused the traffic."),
    "scale": _("%(by)s set the desired capacity of %(group)s to %(desired)s."),
    "sgRevoke": _(
        "%(by)s removed from %(security_group)s the rule admitting the load balancer: %(rules)s."
    ),
    "sgAuthorize": _(
        "%(by)s added to %(security_group)s a rule admitting the load balancer: %(rules)s."
    ),
    # Auto Scaling's own activity; the cause is in AWS's words, as the console shows it.
    "autoscaling": _("Auto Scaling %(group)s: %(activity)s %(instance)s (%(az)s). %(cause)s"),
    "refused": _("%(by)s asked for a change that was not applied: %(error)s"),
    "console": _("%(by)s sent %(request)s from %(client)s from the console: status %(status)s."),
    "consoleNoAnswer": _(
        "%(by)s sent %(request)s from %(client)s from the console: no answer (%(error)s)."
    ),
    "someone": _("Someone"),
    "empty": _("No changes yet."),
}

# Why the worker refused a change (ControlError.code); its English detail follows.
CONTROL_ERRORS = {
    "ValidationError": _("This value is not accepted."),
    "TargetGroupNotFound": _("The target group is not part of this run."),
    "TargetNotFound": _("The target is not part of this run."),
    "InvalidTarget": _("The target cannot take this change now."),
    "InternalError": _("Something went wrong while applying the change."),
    "Busy": _("Too many requests from the console are still waiting for answers."),
    # EC2's own codes for a security-group change with nothing to change.
    "InvalidPermission.NotFound": _("The specified rule does not exist in this security group."),
    "InvalidPermission.Duplicate": _("The specified rule already exists."),
}


# The run page's request console and traffic controls (static/labs/js/run_console.js).
CONSOLE = {
    "sending": _("Sending…"),
    "noAnswer": _("No answer: %(error)s"),
    "tlsFailed": _("No answer: the TLS handshake failed, so no request was sent: %(reason)s"),
    "status": _("Status %(status)s"),
    "body": _("Body (%(bytes)s bytes)"),
    "bodyCut": _("Body (first %(shown)s of %(bytes)s bytes)"),
    "headers": _("Response headers"),
    "jar": _("Cookie jar of %(client)s after this answer"),
    "jarEmpty": _("The cookie jar of %(client)s is empty."),
    "traceWaiting": _("Waiting for the load balancer's trace of this request…"),
    "traceMissing": _(
        "The load balancer's trace of this request was not sent (traffic was sampled)."
    ),
    "traceNoRequest": _(
        "The TLS handshake failed before the request was sent, so the load balancer has "
        "no trace of it."
    ),
    "sticky": _(
        "The %(cookie)s cookie was honoured: the load balancer kept this client on %(target)s."
    ),
    "remove": _("Remove"),
    "headerName": _("Header name"),
    "headerValue": _("Header value"),
    "cookieName": _("Cookie name"),
    "cookieValue": _("Cookie value"),
    "mixPath": _("Path and query"),
    "mixHost": _("Host header"),
    "mixHeader": _("Header (Name: value)"),
    "mixWeight": _("Weight"),
    "paused": _("Paused"),
    "pause": _("Pause"),
    "resume": _("Resume"),
    "settingsRps": _("%(rps)s requests a second"),
    "settingsClients": _("%(clients)s clients"),
    "keepAliveOn": _("keep-alive on"),
    "keepAliveOff": _("keep-alive off"),
    "settingsMix": _("mix: %(mix)s"),
}


def describe(table: Mapping[str, object], code: str) -> str:
    """The translated text for ``code``, or the code itself when we have no words for it."""
    text = table.get(code)
    return str(text) if text is not None else code


def run_state(code: str) -> str:
    return describe(RUN_STATES, code)


def run_reason(code: str) -> str:
    return describe(RUN_REASONS, code) if code else ""


def _evaluated(table: Mapping[str, object]) -> dict[str, str]:
    return {code: str(text) for code, text in table.items()}


def catalog() -> dict[str, dict[str, str]]:
    """Every code table in the active language, for the run page's script (json_script)."""
    return {
        "states": _evaluated(RUN_STATES),
        "reasons": _evaluated(RUN_REASONS),
        "health": _evaluated(HEALTH_STATES),
        "healthReasons": _evaluated(HEALTH_REASONS),
        "routing": _evaluated(ROUTING_REASONS),
        "ui": _evaluated(UI),
        "tlsReasons": _evaluated(TLS_REASONS),
        "fields": _evaluated(CONDITION_FIELDS),
        "trace": _evaluated(TRACE),
        "stickyOutcomes": _evaluated(STICKY_OUTCOMES),
        "charts": _evaluated(CHARTS),
        "flowStates": _evaluated(FLOW_STATES),
        "flowReasons": _evaluated(FLOW_REASONS),
        "flowClosedBy": _evaluated(FLOW_CLOSED_BY),
        "flowVerdicts": _evaluated(FLOW_VERDICTS),
        "flowUi": _evaluated(FLOW_UI),
        "replay": _evaluated(REPLAY),
        "docs": docs_catalog(),
        **controls_catalog(),
    }


def docs_catalog() -> dict[str, str]:
    """Each step's AWS documentation: ``{"<step>": "<url>", "<step>Title": "<title>"}``."""
    base = DOCS_BASE.get(get_language() or "en", DOCS_BASE["en"])
    links: dict[str, str] = {}
    for step, (path, title) in DOCS.items():
        links[step] = base + path
        links[f"{step}Title"] = str(title)
    return links


def controls_catalog() -> dict[str, dict[str, str]]:
    """The run controls' words (fault menu, Faults log, refusals) in the active language."""
    return {
        "faultModes": _evaluated(FAULT_MODES),
        "faultLog": _evaluated(FAULT_LOG),
        "controlErrors": _evaluated(CONTROL_ERRORS),
        "faultHelp": _evaluated(FAULT_HELP),
        "console": _evaluated(CONSOLE),
    }


# Why a valid template cannot run yet (cfn.runnable), "<code>:<detail>".
NOT_RUNNABLE = {
    "unsupported-load-balancer-type": _("this load balancer type is not simulated yet"),
    "unsupported-listener-protocol": _("this listener protocol is not simulated yet"),
    "unsupported-target-type": _("this target type is not simulated yet"),
    "unsupported-instance-protocol": _(
        "a Classic Load Balancer speaking TLS and plain text to the same instance port is not "
        "simulated yet"
    ),
    "unsupported-health-check-protocol": _("this health check protocol is not simulated yet"),
    "unsupported-instance-port": _(
        "a Classic Load Balancer whose listeners use different instance ports is not simulated yet"
    ),
}


def not_runnable(reason: str) -> str:
    code, _sep, detail = reason.partition(":")
    text = NOT_RUNNABLE.get(code)
    return f"{text}: {detail}" if text is not None and detail else describe(NOT_RUNNABLE, reason)


# Codes of template problems (cfn.Problem.code): AWS's API error codes where AWS has one
# (Elastic Load Balancing API reference, "Common errors" and each action's "Errors").
# The problem's own message stays as cfn words it, in English, after this sentence.
PROBLEM_CODES = {
    "ValidationError": _("This value is not accepted."),
    "PriorityInUse": _("Another rule on this listener already has this priority."),
    "DuplicateListener": _("The load balancer already has a listener on this port."),
    "DuplicateLoadBalancerName": _("Another load balancer already has this name."),
    "DuplicateTargetGroupName": _("Another target group already has this name."),
    "IncompatibleProtocols": _("These protocols do not work together."),
    "InvalidConfigurationRequest": _("This combination of settings is not allowed."),
    "InvalidLoadBalancerAction": _("This action is not allowed here."),
    "InvalidSubnet": _("This subnet cannot be used here."),
    "InvalidSubnet.Conflict": _("This subnet's address range overlaps another subnet."),
    "InvalidSecurityGroup": _("This security group cannot be used here."),
    "InvalidTarget": _("This target cannot be registered."),
    "CertificateNotFound": _("The certificate cannot be found."),
    "SSLPolicyNotFound": _("The security policy cannot be found."),
    "AvailabilityZoneNotSupported": _("This Availability Zone cannot be used here."),
    "TooManyActions": _("There are too many actions."),
    "TooManyCertificates": _("There are too many certificates."),
    "TooManyConditions": _("There are too many conditions or condition values."),
    "TooManyRules": _("There are too many rules."),
    "TooManyTargetGroups": _("There are too many target groups."),
    "TooManyTargets": _("There are too many targets."),
    "UnsupportedProtocol": _("This protocol is not supported here."),
}


# What a common problem is, per validation rule (Problem.rule), in the learner's language:
# the line a learner reads first. The problem's own message (cfn's English words with the
# values it found) follows it only in English; other languages get it as the detail.
PROBLEM_RULES = {
    "template.parse": _("The template cannot be read: the YAML or JSON is not valid."),
    "template.resources-mapping": _("A template needs a Resources section of resources."),
    "template.resource-type": _("This resource type is not recognized."),
    "template.properties-mapping": _("Properties must be a mapping of names to values."),
    "template.unsupported-property": _(
        "CloudFormation does not know this property on this resource type: check its spelling."
    ),
    "value.shape": _("This value has the wrong shape (a list, a mapping or text)."),
    "property.required": _("A required property is missing."),
    "value.integer-range": _("This number is outside the allowed range."),
    "value.one-of": _("This value is not one of the allowed values."),
    "ref.form": _("This reference is not written the way CloudFormation reads it."),
    "ref.type": _("This reference names a resource of the wrong type."),
    "ref.attribute": _("This resource has no such attribute."),
    "ref.resolves": _("This reference names a resource the template does not have."),
    "getatt.attribute": _("This resource has no such attribute."),
    "dependson.resolves": _("DependsOn names a resource the template does not have."),
    "template.no-cycles": _("These resources depend on each other in a circle."),
    "template.parameter-value": _("This parameter value is not allowed."),
    "template.parameter-missing": _("This parameter has no value yet."),
    "template.intrinsic-function": _("This intrinsic function cannot be worked out."),
    "template.condition": _("This condition cannot be worked out."),
    "template.find-in-map": _("Fn::FindInMap names a key the mapping does not have."),
    "template.transform": _("Transforms are not simulated."),
    "condition.regex-values-not-simulated": _(
        "Regular-expression condition values are not simulated; use Values with * and ?."
    ),
    "rule.transforms-not-simulated": _(
        "Rule transforms (host or URL rewrites) are not simulated by the playground."
    ),
    "listener.unique-port": _("The load balancer already has a listener on this port."),
    "listener.protocol-per-type": _("This load balancer type does not take this protocol."),
    "listener.https-tls-certificate": _("An HTTPS or TLS listener needs a certificate."),
    "rule.priority-unique": _("Another rule on this listener already has this priority."),
    "rule.priority-range": _("A rule's priority is from 1 to 50000."),
    "load-balancer.alb-two-zones": _(
        "An Application Load Balancer needs subnets in at least two Availability Zones."
    ),
    "load-balancer.one-subnet-per-zone": _(
        "A load balancer takes one subnet per Availability Zone."
    ),
    "health-check.timeout-below-interval": _(
        "The health check timeout must be shorter than its interval."
    ),
    "condition.field": _("This condition field is not known."),
    "condition.values-not-empty": _("A condition needs at least one value."),
    "target.ip-in-vpc": _("This target's IP address is outside the target group's VPC."),
    "target.ip-private": _("An IP target needs a private IP address."),
    "subnet.inside-vpc": _("The subnet's address range is outside its VPC."),
    "subnet.no-overlap": _("This subnet's address range overlaps another subnet."),
    "instance.ip-in-subnet": _("The instance's IP address is outside its subnet."),
    "security-group.ingress-ports": _("This security group rule's ports are not valid."),
    "attributes.key-known": _("This attribute is not known."),
    "attributes.value-valid": _("This attribute value is not valid."),
    "target-group.one-load-balancer": _(
        "This target group is already used by another load balancer; a target group serves "
        "one load balancer."
    ),
    "target-group.protocol-suits-listener": _(
        "The target group's protocol does not suit this listener's protocol."
    ),
    "target-group.target-type-suits-load-balancer": _(
        "This load balancer type cannot use the target group's target type."
    ),
    "target-group.http2-grpc-need-https": _(
        "A target group with protocol version HTTP2 or GRPC needs an HTTPS listener."
    ),
    "target-group.alb-target-listener-port": _(
        "The Application Load Balancer this target group points to has no listener on its port."
    ),
    "target-group.alb-behind-at-most-two-nlbs": _(
        "An Application Load Balancer can be the target of at most two Network Load Balancers."
    ),
    "action.weighted-stickiness": _(
        "A weighted forward to a target group with sticky sessions needs target group "
        "stickiness turned on."
    ),
    "action.forward-arn-and-config-agree": _(
        "A forward action with both TargetGroupArn and ForwardConfig must name the same one "
        "target group in each."
    ),
    "target-group.ipv6-takes-ip-targets": _(
        "An IPv6 target group takes only IP targets with IPv6 addresses; the playground runs "
        "IPv4 target groups."
    ),
    "target-group.lambda-invoke-permission": _(
        "Elastic Load Balancing has no permission to invoke this Lambda function."
    ),
    "certificate.domain-name": _(
        "The certificate's domain name is not a fully qualified domain name."
    ),
    "certificate.alternative-names": _(
        "The certificate's alternative names must be a list of at most 100 domain names."
    ),
    "attributes.key-once": _("This attribute is set more than once."),
    "load-balancer.name": _(
        "The load balancer's name is not valid: 1 to 32 letters, digits or hyphens."
    ),
    "load-balancer.subnets-or-mappings": _(
        "A load balancer takes either Subnets or SubnetMappings: exactly one of them."
    ),
    "load-balancer.gateway-no-security-groups": _(
        "A Gateway Load Balancer takes no security groups."
    ),
    "load-balancer.gateway-no-scheme": _("A Gateway Load Balancer takes no scheme."),
    "load-balancer.allocation-id-internet-facing-nlb": _(
        "Only an internet-facing Network Load Balancer takes Elastic IP addresses."
    ),
    "load-balancer.private-address-internal-nlb": _(
        "Only an internal Network Load Balancer takes a private IPv4 address."
    ),
    "load-balancer.elastic-ip-once": _("This Elastic IP address is already assigned elsewhere."),
    "load-balancer.ip-address-type": _(
        "This IP address type cannot be used with this load balancer."
    ),
    "classic.instance-protocol-same-layer": _(
        "The instance protocol must be of the same layer as the listener's (HTTP/HTTPS or TCP/SSL)."
    ),
    "classic.https-ssl-certificate": _("An HTTPS or SSL listener needs a server certificate."),
    "classic.duplicate-listener": _("The load balancer already has a listener on this port."),
    "classic.stickiness-needs-http-listener": _(
        "A stickiness policy needs an HTTP or HTTPS listener: TCP and SSL listeners carry no "
        "cookies."
    ),
    "classic.health-check-target": _(
        "The health check target must read TCP:port, SSL:port, HTTP:port/path or HTTPS:port/path."
    ),
    "classic.health-check-timeout-below-interval": _(
        "The health check timeout must be shorter than its interval."
    ),
    "classic.subnets": _("A Classic Load Balancer in the playground needs at least one subnet."),
    "classic.listener-policy-defined": _(
        "This listener names a policy the load balancer does not define."
    ),
    "classic.boolean": _("This value must be true or false."),
    "vpc.exactly-one": _("A playground template needs exactly one VPC."),
    "vpc.private-cidr": _("The VPC's address range must be a private range."),
    "vpc.cidr-size": _("The VPC's CIDR block must be between /16 and /28."),
    "subnet.availability-zone": _("The playground needs each subnet's Availability Zone."),
    "subnet.cidr-size": _("The subnet's CIDR block must be between /16 and /28."),
    "security-group.description": _(
        "A security group needs a description of up to 255 characters."
    ),
    "security-group.ingress-protocol": _("This inbound rule's protocol is not valid."),
    "security-group.ingress-source": _("An inbound rule needs exactly one source."),
    "eip.domain": _("An Elastic IP address's domain must be vpc."),
    "instance.ip-not-reserved": _("AWS reserves this IP address in the subnet."),
    "instance.ip-unique": _("Another instance already has this IP address."),
    "app.behaviour": _("The playground's app settings (Metadata.Playground.App) are not valid."),
    "lambda.built-in-handler": _(
        "The playground runs only its built-in Lambda handlers, never code from a template."
    ),
    "lambda.runtime-and-handler": _("A Lambda function needs a runtime and a handler."),
    "lambda.role-arn": _("A Lambda function's role must be an IAM role ARN."),
    "lambda-permission.function": _("The permission must name a Lambda function of this template."),
    "auto-scaling.capacity-within-sizes": _(
        "The desired capacity must be between the minimum and maximum capacity."
    ),
    "auto-scaling.launch-template": _("The Auto Scaling group needs a launch template."),
    "auto-scaling.subnets": _("The Auto Scaling group needs at least one subnet of the VPC."),
    "template.size": _("The template is larger than CloudFormation allows."),
    "template.resource-count": _("The template has more resources than CloudFormation allows."),
    "template.depth": _("The template is nested too deeply."),
    "template.value-count": _("The template holds too many values."),
    "run.targets": _("The template registers more targets than a run may start."),
    "action.at-least-one": _("A rule or listener needs at least one action."),
    "action.type-per-load-balancer": _("This load balancer type does not take this action type."),
    "action.one-routing-action-last": _(
        "The actions need exactly one forward, redirect or fixed response, ordered last."
    ),
    "action.order": _("Each action needs an Order when there are several."),
    "action.order-unique": _("Each action needs its own Order."),
    "action.authenticate-needs-https": _("Authenticate actions work only on HTTPS listeners."),
    "action.config-required": _("This action needs its configuration."),
    "action.forward-target-groups": _("A forward action needs 1 to 5 target groups."),
    "action.forward-one-group-on-nlb-gwlb": _(
        "A Network or Gateway Load Balancer forwards to exactly one target group."
    ),
    "action.forward-stickiness-duration": _(
        "The target group stickiness duration is out of range (1 to 604800 seconds)."
    ),
    "action.redirect-config": _("This redirect setting is not valid."),
    "action.redirect-not-https-to-http": _("An HTTPS listener cannot redirect to HTTP."),
    "action.redirect-changes-something": _(
        "A redirect must change the protocol, host, port or path, or it would redirect to itself."
    ),
    "action.fixed-response-config": _("This fixed response setting is not valid."),
    "listener.protocol-and-port-required": _("This listener needs a protocol and a port."),
    "listener.gateway-no-protocol-port": _(
        "A Gateway Load Balancer listener takes no protocol or port."
    ),
    "listener.one-default-certificate": _("A listener takes exactly one default certificate."),
    "listener.tls-settings-need-https-tls": _(
        "This setting applies only to HTTPS and TLS listeners."
    ),
    "listener.at-most-50": _("A load balancer can have at most 50 listeners."),
    "listener.ssl-policy-known": _("This is not an Elastic Load Balancing security policy."),
    "listener.tcp-idle-timeout-tcp-only": _("The TCP idle timeout applies only to TCP listeners."),
    "condition.legacy-values-host-path-only": _(
        "Values is only for host header and path conditions."
    ),
    "condition.one-per-field": _("A rule can have only one condition of this field."),
    "condition.at-most-5-values": _("A rule can have at most 5 condition values."),
    "condition.at-most-3-values-per-condition": _("A condition can have at most 3 values."),
    "condition.at-most-5-wildcards": _("A rule can have at most 5 wildcards."),
    "condition.value-format": _("This condition value is not in a form the load balancer takes."),
    "condition.host-header-dot": _(
        "A host header value needs a dot, with only letters after the last one."
    ),
    "condition.http-header-name": _("This header name cannot be used in an HTTP header condition."),
    "condition.source-ip-cidr": _("This source IP value is not an allowed CIDR block."),
    "rule.alb-listeners-only": _(
        "Listener rules are for Application Load Balancer listeners only."
    ),
    "rule.at-most-100-per-alb": _("An Application Load Balancer can have at most 100 rules."),
    "health-check.path": _(
        "The health check path must start with / and be at most 1024 characters."
    ),
    "health-check.protocol": _("This health check protocol cannot be used here."),
    "health-check.matcher": _("These health check success codes are not valid."),
    "health-check.matcher-grpc-by-protocol-version": _(
        "A GRPC target group takes gRPC success codes (GrpcCode); any other takes HTTP ones "
        "(HttpCode)."
    ),
    "health-check.always-enabled": _("Health checks cannot be turned off for this target type."),
    "health-check.http-settings-need-http": _(
        "This health check setting needs an HTTP or HTTPS health check."
    ),
    "target-group.name": _(
        "The target group's name is not valid: 1 to 32 letters, digits or hyphens."
    ),
    "target-group.lambda-no-protocol-port-vpc": _(
        "A Lambda target group takes no protocol, port or VPC."
    ),
    "target-group.protocol-port-vpc-required": _(
        "This target group needs a protocol, a port and a VPC."
    ),
    "target-group.geneve-port-6081": _("A GENEVE target group uses port 6081."),
    "target-group.protocol-version": _(
        "A protocol version applies only to HTTP and HTTPS target groups."
    ),
    "target-group.slow-start-not-with-lor": _(
        "Slow start cannot be combined with least outstanding requests."
    ),
    "target-group.anomaly-mitigation-needs-weighted-random": _(
        "Anomaly mitigation needs the weighted random algorithm."
    ),
    "target-group.app-cookie-needs-name": _("Application-based stickiness needs a cookie name."),
    "target-group.target-failover-equal": _("The two target failover settings must be equal."),
    "target-group.stickiness-needs-cross-zone": _(
        "Sticky sessions need cross-zone load balancing turned on."
    ),
    "target-group.preserve-client-ip-udp-always-on": _(
        "Client IP preservation cannot be turned off for UDP target groups."
    ),
    "target-group.alb-type-tcp": _("A target group of target type alb uses TCP."),
    "target-group.alb-type-attributes-fixed": _(
        "A target group of target type alb keeps its attributes at their defaults."
    ),
    "target-group.dns-failover-at-least-routing-failover": _(
        "The DNS failover minimum of healthy targets must be at least the routing failover one."
    ),
    "target.availability-zone": _("This target's Availability Zone does not match its address."),
    "target.one-lambda-function": _("A Lambda target group takes exactly one function."),
    "target.one-alb": _("A target group of target type alb takes exactly one target."),
    "target.no-port-for-lambda": _("A Lambda target takes no port."),
    "auto-scaling.instance-target-group": _(
        "An Auto Scaling group registers instances, so its target groups need target type instance."
    ),
    "playground.traffic": _("The playground's traffic settings are not valid."),
    "playground.traffic-rps-limit": _("The request rate is more than this playground runs."),
    "template.metadata-mapping": _("Metadata must be a mapping."),
    "load-balancer.internet-facing-needs-internet-gateway": _(
        "An internet-facing load balancer needs a VPC with an internet gateway attached."
    ),
    "route.destination": _(
        "A route needs a destination (DestinationCidrBlock or another destination)."
    ),
    "subnet.one-route-table": _("A subnet can be associated with only one route table."),
}


def problem_line(
    logical_id: str, path: str, code: str, message: str, rule: str = ""
) -> dict[str, str]:
    """A problem as a learner reads it: what is wrong first, in the active language, then
    where and AWS's code. ``detail`` is cfn's English message when ``sentence`` is not it
    (the page shows it as the smaller print)."""
    where = f"{logical_id}.{path}" if path else logical_id
    english = (get_language() or "en").startswith("en")
    summary = PROBLEM_RULES.get(rule)
    if english or (summary is None and code not in PROBLEM_CODES):
        sentence, detail = message[:1].upper() + message[1:], ""
    else:
        sentence = str(summary if summary is not None else PROBLEM_CODES[code])
        detail = message
    return {"sentence": sentence, "where": where, "code": code, "detail": detail}


def problem_code(code: str) -> str:
    """The translated sentence for a problem code, or "" when we have none for it."""
    text = PROBLEM_CODES.get(code)
    return str(text) if text is not None else ""
