"""Benchmark: what the live view costs the server and the network, with the full attention grid on
screen (Attention Evolution Cinema, /cinema, overview of all four heads, default Shakespeare run).

    python bench/page_cost.py [--speed 1x] [--seconds 12]

One run, in phases, each compared with the others in the same run:
- idle: the page open before Play (nothing should tick);
- training: the run going, the page open (the live fragment ticks twice a second, the sidebar's
  once a second, and each new checkpoint reruns the page to redraw the grid);
- paused: the same run paused, the page open (the fragments still tick: nothing changes, so
  ideally nothing is sent but the tick's own bookkeeping);
- no page: the run resumed and the tab navigated away (the trainer alone, the reference for what
  the page costs the trainer).

Measured:
- bytes: every websocket frame the browser receives and sends (Playwright's `framereceived` /
  `framesent`), parsed as Streamlit's ForwardMsg protobuf and grouped into ticks (one script run
  each: a tick ends with `script_finished`). For each kind of tick: how many, bytes, which
  elements it carried, and whether it carried the heatmaps (vega_lite_chart elements; an element
  the browser already has is sent as a reference to Streamlit's message cache instead);
- server time: per script run, wall and CPU time of the script thread (bench/serve_timed.py, which
  logs them without changing the app); per phase, the server process's CPU time outside the
  trainer thread (/proc: the process's utime+stime, which includes ended threads, minus the
  trainer thread's own), per second and per tick; and the trainer thread's share of a core and
  its steps per second (from the checkpoints' times), page open against page closed.
Prints figures only.
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import launch_chromium, loadavg, machine, med, process_cpu, read_log, server, thread_cpu  # noqa: E402

PLAY = re.compile(r"^(play_arrow)?\s*Play$")
STATUS = {0: "full", 1: "compile error", 2: "ended for rerun", 3: "fragment"}


def parse(frames):
    """Received frames -> ticks, one per script run (each ends with `script_finished`):
    [{t1, bytes, kind, elements: Counter, vega: n, vega_bytes, cached: n}]. Kinds: "live tick" (the
    page's fragment: progress line), "sidebar tick" (the sidebar's fragment), "ended for rerun" (a
    run that called st.rerun(), e.g. the live fragment on a new checkpoint or state), "full rerun"
    (the whole page, with the heatmaps)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ticks, cur = [], None
    for t, payload in frames:
        data = payload if isinstance(payload, bytes) else payload.encode()
        try:
            msg = ForwardMsg.FromString(data)
        except Exception:
            continue
        if cur is None:
            cur = {"bytes": 0, "elements": collections.Counter(), "vega": 0, "vega_bytes": 0, "cached": 0}
        cur["bytes"] += len(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cur["cached"] += 1  # a message the browser already has: sent as its hash only
        elif kind == "delta":
            d = msg.delta.WhichOneof("type")
            if d == "new_element":
                e = msg.delta.new_element.WhichOneof("type")
                cur["elements"][e] += 1
                if e == "vega_lite_chart":
                    cur["vega"] += 1
                    cur["vega_bytes"] += len(data)
            elif d:
                cur["elements"][d] += 1
        elif kind == "script_finished":
            status = STATUS.get(msg.script_finished, str(msg.script_finished))
            cur["t1"] = t
            cur["kind"] = ("live tick" if cur["elements"].get("progress") else "sidebar tick") \
                if status == "fragment" else ("full rerun" if status == "full" else status)
            ticks.append(cur)
            cur = None
    return ticks


def step_at(t, ckpts):
    """The trainer's step at time t, interpolated between the checkpoints around it (None outside)."""
    for a, b in zip(ckpts, ckpts[1:]):
        if a["t"] <= t <= b["t"]:
            return a["step"] + (b["step"] - a["step"]) * (t - a["t"]) / (b["t"] - a["t"])
    return None


def phase_of(t, phases):
    for name, (a, b) in phases.items():
        if a <= t < b:
            return name
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speed", default="1x")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each measured phase")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    print(f"machine: {machine()}")
    received, sent = [], []
    phases, cpu = {}, {}
    with server(timed=True) as srv, sync_playwright() as p:
        pid = srv["proc"].pid
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 2500})

        def on_ws(ws):
            ws.on("framereceived", lambda payload: received.append((time.time(), payload)))
            ws.on("framesent", lambda payload: sent.append((time.time(), payload)))

        page.on("websocket", on_ws)
        query = "" if args.speed == "1x" else f"?cinema_speed={args.speed}"
        page.goto(srv["url"] + "/cinema" + query)
        page.get_by_role("button", name=PLAY).wait_for(timeout=60_000)
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)

        tid = None

        def measure(name, seconds):
            nonlocal tid
            if tid is None:
                tid = next((e["tid"] for e in read_log(srv["log"]) if e["ev"] == "checkpoint"), None)
            a = (time.time(), process_cpu(pid), thread_cpu(pid, tid) if tid else 0.0)
            page.wait_for_timeout(seconds * 1000)  # not time.sleep: Playwright delivers frames while it waits
            b = (time.time(), process_cpu(pid), thread_cpu(pid, tid) if tid else 0.0)
            phases[name] = (a[0], b[0])
            cpu[name] = {"wall": b[0] - a[0], "process": b[1] - a[1],
                         "trainer": (b[2] or 0) - (a[2] or 0) if tid else 0.0}

        measure("idle", min(args.seconds, 6))
        page.get_by_role("button", name=PLAY).click()
        page.get_by_text(re.compile(r"Step 0 · checkpoint 1 of 1")).wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        measure("training", args.seconds)
        page.get_by_role("button", name=re.compile(r"Pause$")).click()
        page.get_by_text(re.compile(r"· paused")).first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        measure("paused", args.seconds)
        page.get_by_role("button", name=re.compile(r"Resume$")).click()
        page.get_by_text(re.compile(r"· training")).first.wait_for(timeout=30_000)
        page.goto("about:blank")  # the tab leaves; the run goes on (a session lives an hour unseen)
        page.wait_for_timeout(1000)
        measure("no page", args.seconds)
        # Keep the run going until the next checkpoint, so the phase's steps can be interpolated.
        end = phases["no page"][1]
        deadline = time.time() + 60
        while time.time() < deadline and not any(e["ev"] == "checkpoint" and e["t"] > end for e in read_log(srv["log"])):
            time.sleep(0.5)
        browser.close()
        log = read_log(srv["log"])
        load = loadavg()

    ticks = parse(received)
    print(f"\nspeed {args.speed}; phases of {args.seconds:.0f} s (idle {cpu['idle']['wall']:.0f} s); load average "
          f"at the end {load}")
    print("\nticks (one script run each, grouped from the websocket frames the browser received):")
    print("  phase      kind               count  per s   KB median   KB max   with charts  chart KB  cached refs  "
          "elements per tick")
    for name in phases:
        in_phase = [t for t in ticks if phase_of(t["t1"], phases) == name]
        by_kind = collections.defaultdict(list)
        for t in in_phase:
            by_kind[t["kind"]].append(t)
        if not by_kind:
            print(f"  {name:10s} (none)")
        for kind, ts in sorted(by_kind.items()):
            els = collections.Counter()
            for t in ts:
                els.update(t["elements"])
            per = {k: round(v / len(ts), 1) for k, v in els.most_common(6)}
            print(f"  {name:10s} {kind:18s} {len(ts):5d}  {len(ts) / cpu[name]['wall']:5.2f}   "
                  f"{med(t['bytes'] for t in ts) / 1024:9.1f}  {max(t['bytes'] for t in ts) / 1024:7.1f}   "
                  f"{sum(t['vega'] > 0 for t in ts):4d} of {len(ts):<4d}  {med(t['vega_bytes'] for t in ts) / 1024:7.1f}  "
                  f"{sum(t['cached'] for t in ts):6d}      {per}")
    print("\nbytes per second of each phase (browser <- server / browser -> server):")
    for name, (a, b) in phases.items():
        rin = sum(len(x[1]) for x in received if a <= x[0] < b)
        rout = sum(len(x[1]) for x in sent if a <= x[0] < b)
        print(f"  {name:10s} {rin / (b - a) / 1024:8.1f} KB/s in   {rout / (b - a) / 1024:6.2f} KB/s out")

    print("\nserver time per script run (script thread, from bench/serve_timed.py):")
    print("  phase      run                   count   wall ms median   max    CPU ms median   max")
    for name in phases:
        runs = [e for e in log if e["ev"] == "script" and phase_of(e["t"], phases) == name]
        groups = collections.defaultdict(list)
        for e in runs:
            groups["fragment, then st.rerun()" if e["fragment"] and e["rerun"] else
                   "fragment" if e["fragment"] else "full rerun"].append(e)
        for kind, es in sorted(groups.items()):
            walls = [1000 * (e["t"] - e["t0"]) for e in es]
            cpus = [1000 * e["cpu"] for e in es]
            print(f"  {name:10s} {kind:26s} {len(es):4d}   {med(walls):10.1f}  {max(walls):7.1f}   {med(cpus):10.1f}  "
                  f"{max(cpus):7.1f}")

    print("\nserver process CPU (from /proc), per phase:")
    print("  phase      outside trainer: cores   ms per tick   trainer: share of a core   steps/s   trainer CPU ms/step")
    ckpts = [e for e in log if e["ev"] == "checkpoint"]
    for name, c in cpu.items():
        a, b = phases[name]
        n_ticks = sum(1 for t in ticks if phase_of(t["t1"], phases) == name)
        other = c["process"] - c["trainer"]
        s0, s1 = step_at(a, ckpts), step_at(b, ckpts)
        # (no steps while paused; interpolating across the pause would spread the steps around it)
        steps = None if s0 is None or s1 is None or name in ("idle", "paused") else s1 - s0
        print(f"  {name:10s}       {other / c['wall']:5.2f}            {1000 * other / n_ticks if n_ticks else float('nan'):7.1f}"
              f"            {c['trainer'] / c['wall']:5.2f}              "
              f"{'   -  ' if not steps else format(steps / (b - a), '6.1f')}       "
              f"{'   -' if not steps else format(1000 * c['trainer'] / steps, '6.1f')}")
    print("  (steps/s interpolated between the checkpoints around each phase's ends)")


if __name__ == "__main__":
    main()
