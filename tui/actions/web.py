"""Executors of http.request, http.check and prom.check."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from typing import Any

from tui.actions.base import FAILED, OK, SKIPPED, ActionContext, ActionError, Outcome, run_async
from tui.adapters.probes import UNSET, http_check, http_request
from tui.adapters.prometheus import Prometheus, PrometheusError, evaluate
from tui.domain.runbook import Metric, render_args

SENSITIVE = ("authorization", "cookie", "token", "secret", "key", "password")


def _headers_shown(headers: Mapping[str, str] | None) -> str:
    if not headers:
        return ""
    shown = {k: "***" if any(s in k.lower() for s in SENSITIVE) else v
             for k, v in headers.items()}
    return f" headers {shown}"


class HttpRequest:
    """http.request: feature-flag, status-page and chat APIs."""

    name = "http.request"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        body = f" JSON {args['json']}" if "json" in args else (
            f" body {args['body']!r}" if args.get("body") else "")
        return (f"{args.get('method') or 'GET'} {ctx.redactor.text(args['url'])}"
                f"{_headers_shown(args.get('headers'))}{body}")

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        method = args.get("method") or "GET"
        if ctx.dry_run and method != "GET":
            return Outcome(SKIPPED, f"dry-run: would send {self.describe(args, ctx)}")
        result = run_async(http_request(
            method, args["url"], headers=args.get("headers"), json=args.get("json"),
            body=args.get("body"), expect_status=args.get("expect_status"),
            timeout=ctx.network_seconds(args.get("timeout"), "10s")))
        return Outcome(OK if result.ok else FAILED, result.detail,
                       result.for_journal(ctx.redactor))


class HttpCheck:
    """http.check: health and version endpoints."""

    name = "http.check"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        wants = [f"status {args.get('expect_status') or 200}"]
        if args.get("body_contains"):
            wants.append(f"body contains {args['body_contains']!r}")
        if args.get("json_field"):
            wants.append(f"{args['json_field']} == {args.get('json_equals')!r}")
        return f"GET {ctx.redactor.text(args['url'])} expecting {', '.join(wants)}"

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        if ctx.dry_run:
            # It would judge the state after changes a dry run did not make.
            return Outcome(SKIPPED, f"dry-run: would check {self.describe(args, ctx)}")
        budget = args.get("latency_budget")
        result = run_async(http_check(
            args["url"], expect_status=int(args.get("expect_status") or 200),
            body_contains=args.get("body_contains") or None,
            json_field=args.get("json_field") or None,
            json_equals=args.get("json_equals", UNSET),
            latency_budget=ctx.network_seconds(budget, "0s") if budget else None,
            retries=int(args.get("retries") or 0), retry_delay=1.0 / ctx.time_scale,
            timeout=ctx.network_seconds(args.get("timeout"), "5s"), headers=args.get("headers")))
        return Outcome(OK if result.ok else FAILED, result.detail,
                       result.for_journal(ctx.redactor))


class PromCheck:
    """prom.check: a metric against its threshold and the pre-release baseline."""

    name = "prom.check"

    def _query(self, args: Mapping[str, Any], ctx: ActionContext) -> tuple[str, Any]:
        metric = ctx.metric(args["query"])
        if metric is None:
            return args["query"], None
        return render_args(metric.query, ctx.values), metric

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        query, _ = self._query(args, ctx)
        url = args.get("prometheus_url") or ctx.prometheus_url or "<no prometheus_url>"
        hold = f", holding for {args['for']}" if args.get("for") else ""
        return f"GET {url}/api/v1/query?query={query}{hold}"

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        if ctx.dry_run:
            return Outcome(SKIPPED, f"dry-run: would check {self.describe(args, ctx)}")
        url = args.get("prometheus_url") or ctx.prometheus_url
        if not url:
            raise ActionError("prom.check needs a Prometheus URL: set the prometheus_url "
                              "parameter or give --prometheus")
        query, metric = self._query(args, ctx)
        return run_async(self._watch(url, query, metric, args, ctx))

    async def _watch(self, url: str, query: str, metric: Metric | None,
                     args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        """Poll until the value is good for `for` (or gives up), over one connection pool."""
        hold = ctx.seconds(args.get("for"), "0s")
        # Metrics settle over the query window after a change: wait (bounded) for the
        # value to be good and to stay good for `for`.
        give_up = time.monotonic() + max(hold, 0) + ctx.seconds(None, "10m")
        interval = max(min(hold / 4, 5.0), 0.5) if hold else 0
        good_since: float | None = None
        verdict = None
        value = math.nan
        try:
            async with Prometheus(url) as prometheus:
                while True:
                    value = (await prometheus.query_one(query)).value
                    verdict = evaluate(
                        value, metric=metric, threshold=args.get("threshold"),
                        direction=args.get("direction"),
                        baseline=ctx.baselines.get(metric.name if metric else query),
                        tolerance=args.get("baseline_tolerance"),
                        name=metric.name if metric else None)
                    now = time.monotonic()
                    if verdict.ok:
                        good_since = now if good_since is None else good_since
                        if now - good_since >= hold:
                            break
                        ctx.progress(f"{verdict.message}; holding {now - good_since:.0f}s of "
                                     f"{hold:.0f}s")
                    else:
                        good_since = None
                        if not hold or now >= give_up or ctx.cancel.is_set():
                            break
                        ctx.progress(f"{verdict.message}; waiting for it to settle")
                    if await asyncio.to_thread(ctx.cancel.wait, interval):
                        break
        except PrometheusError as exc:
            return Outcome(FAILED, f"{exc}", {"query": query, "error": str(exc)})
        detail = {"query": query, "value": value if math.isfinite(value) else None}
        if ctx.cancel.is_set():
            return Outcome(FAILED, f"interrupted while watching: {verdict.message}", detail)
        return Outcome(OK if verdict.ok else FAILED, verdict.message, detail)


EXECUTORS = (HttpRequest(), HttpCheck(), PromCheck())
