"""Many nights: a simulated deployment, night after night, through the real API and worker.

Each night (sessions from bench/data/nights.jsonl, through the `openai` client): `--facts` new
facts, one correction of a fact an earlier night taught, one preference and `--chats` sessions
with nothing to learn; then a learning run started through `POST /admin/runs` and carried out by
the real Celery worker, as the nightly schedule does. After every night, fresh sessions with no
context ask every fact taught so far (by the night it was taught; a corrected fact by its new
value), each corrected fact's old value (in no answer), the preferences and the general
regression set; beside them the general-text perplexity the run's gate measured on what serves,
against the base model's, the run's wall seconds and training steps, and the adapter's size.
Before the first night the base model is asked every fact with its session in context: the
ceiling each night is compared with.

    .venv/bin/python bench/nights.py [--nights 10] [--facts 2] [--chats 1]
                                     [--policy correction|stack|every:N] [--engine-url URL]
                                     [--out DIR]

`--policy` is what each night's adapter starts from (`distill.config.NightsConfig`):
"correction" (the default: from the base model when a night retires what the serving adapter
learned), "stack" (always on the serving adapter), "every:N" (also from the base model once N
nights are stacked). Saves nights-POLICY.json and nights-POLICY.png under --out (default
var/bench), after every night.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import running_stack  # noqa: E402
from dream.checkers import check  # noqa: E402
from dream.datasets import load_regression_set  # noqa: E402

DATA = Path(__file__).with_name("data") / "nights.jsonl"
RUN_TIMEOUT_S = 4 * 3600


def policy_overrides(policy: str) -> dict:
    """The `nights` section of the learning overrides for a policy's name."""
    if policy == "correction":
        return {}
    if policy == "stack":
        return {"consolidate_on_correction": False}
    if policy.startswith("every:"):
        return {"consolidate_every": int(policy.removeprefix("every:"))}
    raise SystemExit(f"unknown policy {policy!r}: correction, stack or every:N")


def schedule(rows: list[dict], nights: int, facts: int, chats: int) -> list[dict]:
    """What each night's sessions say: new facts, a correction of an earlier night's fact
    (the earliest not yet corrected), a preference and chats, in the data file's order."""
    pool = {kind: [r for r in rows if r["kind"] == kind] for kind in ("fact", "preference", "chat")}
    taught: list[dict] = []
    plan = []
    for night in range(nights):
        new = pool["fact"][night * facts:(night + 1) * facts]
        fix = next((f for f in taught if "correction" in f and not f.get("corrected")), None)
        if fix:
            fix["corrected"] = night + 1
        prefs = pool["preference"][night:night + 1]
        talk = [pool["chat"][(night * chats + k) % len(pool["chat"])] for k in range(chats)]
        plan.append({"facts": new, "correction": fix, "preferences": prefs, "chats": talk})
        for fact in new:
            fact["night"] = night + 1
        taught += new
    return plan


class Deployment:
    """One tenant of a running stack, used as an application would: chat, runs, questions."""

    def __init__(self, api_url: str, auth: dict[str, str]) -> None:
        self.url = api_url
        made = httpx.post(f"{api_url}/admin/keys", headers=auth, timeout=60, json={
            "tenant": f"nights-{uuid.uuid4().hex[:8]}", "scopes": ["chat", "admin"],
            "name": "bench/nights.py"})
        made.raise_for_status()
        self.http = httpx.Client(base_url=api_url, timeout=300, headers={
            "Authorization": f"Bearer {made.json()['key']}"})

    def chat(self, messages: list[dict], max_tokens: int = 48) -> str:
        reply = self.http.post("/v1/chat/completions", json={
            "model": "lucid", "messages": messages, "max_tokens": max_tokens, "temperature": 0})
        reply.raise_for_status()
        return reply.json()["choices"][0]["message"]["content"] or ""

    def session(self, turns: list[str]) -> list[dict]:
        messages: list[dict] = []
        for text in turns:
            messages.append({"role": "user", "content": text})
            messages.append({"role": "assistant", "content": self.chat(messages)})
        return messages

    def ask(self, question: str, context: list[dict] | None = None) -> str:
        return self.chat([*(context or []), {"role": "user", "content": question}], 40)

    def learn(self) -> dict:
        started = self.http.post("/admin/runs")
        started.raise_for_status()
        run_id = started.json()["id"]
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            run = self.http.get(f"/admin/runs/{run_id}").json()
            if run["status"] in ("succeeded", "failed", "cancelled"):
                return run
            time.sleep(5)
        raise SystemExit(f"run {run_id} did not finish in {RUN_TIMEOUT_S} s")

    def active(self) -> dict | None:
        return self.http.get("/admin/adapters").json()["active"]


def share(hits: list[bool]) -> float | None:
    return round(sum(hits) / len(hits), 3) if hits else None


def said(answer: str, values: list[str]) -> bool:
    return any(v in answer.lower() for v in values)


def current_probes(fact: dict, night: int) -> list[tuple[str, list[str]]]:
    """A fact's questions as of `night`: its correction's once corrected."""
    if fact.get("corrected") and fact["corrected"] <= night:
        return [(q, v) for q, v in fact["correction"]["probes"]]
    return [(q, v) for q, v in fact["probes"]]


def measure(app: Deployment, plan: list[dict], night: int, regression: list[dict]) -> dict:
    """After `night`: accuracy with no context on every fact so far (by the night it was
    taught), the corrections (new value answered, old value said), preferences, general."""
    by_night: dict[int, list[bool]] = {}
    fixed_new: list[bool] = []
    fixed_old: list[bool] = []
    for n, tonight in enumerate(plan[:night], start=1):
        for fact in tonight["facts"]:
            for question, values in current_probes(fact, night):
                answer = app.ask(question)
                by_night.setdefault(n, []).append(said(answer, values))
                if fact.get("corrected") and fact["corrected"] <= night:
                    fixed_new.append(said(answer, values))
                    fixed_old.append(said(answer, fact["correction"]["old"]))
    prefs = [said(app.ask(q), v) for tonight in plan[:night] for p in tonight["preferences"]
             for q, v in p["probes"]]
    general = [check(r["checker"], app.ask(r["question"])) for r in regression]
    every = [h for hits in by_night.values() for h in hits]
    return {"facts": share(every), "by_night": {n: share(h) for n, h in by_night.items()},
            "first_night": share(by_night.get(1, [])), "corrected_new": share(fixed_new),
            "corrected_old_said": sum(fixed_old), "preferences": share(prefs),
            "general": share(general)}


def in_context(app: Deployment, plan: list[dict]) -> float | None:
    """The ceiling: the base model asked each fact with its session before the question."""
    hits = []
    for tonight in plan:
        for fact in tonight["facts"]:
            context = [{"role": "user", "content": fact["turns"][0]},
                       {"role": "assistant", "content": "Noted."}]
            hits += [said(app.ask(q, context), v) for q, v in fact["probes"]]
    return share(hits)


def adapter_mib(active: dict | None) -> float:
    if not active or not active.get("path"):
        return 0.0
    return round(sum(p.stat().st_size for p in Path(active["path"]).rglob("*")
                     if p.is_file()) / 2**20, 2)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nights = [r["night"] for r in result["nights"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for key, label in (("facts", "every fact so far"), ("first_night", "night 1's facts"),
                       ("corrected_new", "corrected facts: new value"),
                       ("preferences", "preferences"), ("general", "general questions")):
        left.plot(nights, [r[key] if r[key] is not None else float("nan")
                           for r in result["nights"]], marker="o", label=label)
    left.axhline(result["in_context"] or 0, color="gray", linestyle="--",
                 label="facts in context (base)")
    left.set_ylim(0, 1.05)
    left.set_xlabel("night")
    left.set_ylabel("accuracy, no context")
    left.legend(fontsize=7)
    base = result["base_perplexity"] or 1
    right.plot(nights, [(r["perplexity"] or base) / base for r in result["nights"]],
               marker="o", color="gray")
    right.set_xlabel("night")
    right.set_ylabel("general-text perplexity / base")
    fig.suptitle(f"Lucid over {len(nights)} nights, policy {result['policy']} "
                 f"(SmolLM2-135M, CPU)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=10)
    parser.add_argument("--facts", type=int, default=2, help="new facts a night")
    parser.add_argument("--chats", type=int, default=1, help="sessions with nothing to learn")
    parser.add_argument("--policy", default="correction")
    parser.add_argument("--engine-url", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    if args.nights * args.facts > sum(r["kind"] == "fact" for r in rows):
        raise SystemExit(f"{DATA} has too few facts for {args.nights} x {args.facts}")
    plan = schedule(rows, args.nights, args.facts, args.chats)
    os.environ["LUCID_LEARN_OVERRIDES"] = json.dumps({"nights": policy_overrides(args.policy)})
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"nights-{args.policy.replace(':', '')}.json"
    regression = load_regression_set()
    with running_stack(args.engine_url, worker=True) as stack:
        app = Deployment(stack.api_url, stack.auth)
        result = {"policy": args.policy, "in_context": in_context(app, plan),
                  "base": measure(app, plan, 0, regression), "base_perplexity": None,
                  "nights": []}
        for night, tonight in enumerate(plan, start=1):
            for fact in tonight["facts"]:
                app.session(fact["turns"])
            if tonight["correction"]:
                app.session(tonight["correction"]["correction"]["turns"])
            for row in tonight["preferences"] + tonight["chats"]:
                app.session(row["turns"])
            run = app.learn()
            metrics = run.get("metrics") or {}
            if result["base_perplexity"] is None and metrics.get("current"):
                result["base_perplexity"] = metrics["current"]["perplexity"]
            serving = metrics.get("candidate" if metrics.get("promoted") else "current") or {}
            active = app.active()
            result["nights"].append({
                "night": night, **measure(app, plan, night, regression),
                "status": run["status"], "promoted": metrics.get("promoted"),
                "from_base": metrics.get("from_base"), "reasons": metrics.get("gate_reasons"),
                "perplexity": serving.get("perplexity"), "seconds": metrics.get("seconds"),
                "train_steps": metrics.get("train_steps"),
                "trainings": metrics.get("trainings"), "adapter_mib": adapter_mib(active),
                "serving": active["name"] if active else None})
            print(json.dumps(result["nights"][-1]), flush=True)
            out.write_text(json.dumps(result, indent=2) + "\n")
            plot(result, out.with_suffix(".png"))
    print(f"saved {out} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
