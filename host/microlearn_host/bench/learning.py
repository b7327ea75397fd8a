"""`microlearn bench` section "On-device learning": the Learner's goals of issue #8, measured
on its bit-exact host twin (the device computes the same bits), with the baselines.

  new users   watch, leave one subject out, all 10 subjects x SEEDS base seeds x ORDERS
              stream orders, same-arm and other-arm splits (data/loso.py)
  new classes digits base on 0-7 learns 8, 9; spoken-digits base on 8 words learns 2;
              <= 20 stored embeddings per old class seed the replay buffer
  baselines   nearest class mean (imprinting only) and 3-NN on the same embeddings, RAM
  trade-off   same arm against other arm for a few learner settings (tradeoff.py)
  cost        the device Learner itself on the boards (learner_cost.py): time, heap, allocation
Base models are cached under build/learning/bases/ (learn/bases.py): the first run trains
60 watch models (~20 min on one core), later runs take a few minutes.
Run alone: `microlearn bench --only learning` (updates this section of docs/benchmarks.md).
"""
from __future__ import annotations

import numpy as np

from . import learner_cost
from .runs import met
from ..learn import baselines, bases, curve, embed, scenario

SEEDS = (0, 1, 2)
ORDERS = (0, 1, 2, 3, 4)
BUDGETS = curve.BUDGETS
SPLITS = ("same-arm", "other-arm")
NEW_CLASSES = (("digits", (8, 9)), ("spoken-digits", (8, 9)))
GOALS = {"gap20": 0.80, "gap5": 0.50, "digits_new": 0.85, "digits_drop": 0.02,
         "spoken_new": 0.70, "spoken_drop": 0.03}
TITLE = "## On-device learning (Learner host twin)"


def _oracle(sc):
    return baselines.oracle(np.concatenate([sc.E_seed, sc.E_stream]),
                            np.concatenate([sc.y_seed, sc.y_stream]), sc.E_test, sc.y_test,
                            embed.head(sc.qm), len(sc.names))


def prepare_users(seeds=SEEDS, subjects=None, splits=SPLITS, log=print):
    """[(split, subject, seed, scenario, base acc, oracle)]: embeddings and oracles once,
    so hyperparameter sweeps only replay the streams."""
    from ..data import loso
    out = []
    for seed in seeds:
        for s in subjects or loso.subjects():
            qm = bases.watch_base(s, seed)[1]
            for split in splits:
                sc = scenario.watch_user(s, split, seed, qm=qm)
                out.append((split, s, seed, sc, curve.base_accuracy(sc), _oracle(sc)))
            log(f"  new users: subject {s} base seed {seed} ready")
    return out


def run_users(prepared, hyper=None, orders=ORDERS, methods=curve.METHODS):
    """[{split, subject, seed, order, base, oracle, acc: {method: [per budget]}, ram}]"""
    rows = []
    for split, s, seed, sc, base, orc in prepared:
        for o in orders:
            res = curve.play(sc, o, curve.make_learners(sc, hyper, methods))
            rows.append({"split": split, "subject": s, "seed": seed, "order": o, "base": base,
                         "oracle": orc["accuracy"], "ram": res["ram"],
                         "acc": {m: [a["all"] for a in v] for m, v in res["curves"].items()}})
    return rows


def summarize_users(rows, split):
    """Means over subjects, seeds and orders; spread = std and range over the (seed, order)
    runs of the subject mean; gap closed = (learner - base) / (oracle - base) of the means."""
    R = [r for r in rows if r["split"] == split]
    methods = list(R[0]["acc"])
    base = np.mean([r["base"] for r in R])
    orc = np.mean([r["oracle"] for r in R])
    out = {"base": base, "oracle": orc, "n": len(R), "methods": {}}
    runs = sorted({(r["seed"], r["order"]) for r in R})
    for m in methods:
        a = np.array([r["acc"][m] for r in R])  # (runs, budgets)
        per_run = np.array([np.mean([r["acc"][m] for r in R if (r["seed"], r["order"]) == k],
                                    axis=0) for k in runs])
        out["methods"][m] = {"mean": a.mean(0), "std": per_run.std(0),
                             "lo": per_run.min(0), "hi": per_run.max(0),
                             "gap": (a.mean(0) - base) / (orc - base) if orc > base else
                             np.full(a.shape[1], np.nan),
                             "ram": int(np.max([r["ram"][m] for r in R]))}
    subj = {}
    for s in sorted({r["subject"] for r in R}):
        S = [r for r in R if r["subject"] == s]
        subj[s] = {"base": np.mean([r["base"] for r in S]),
                   "base_range": np.ptp([r["base"] for r in S]),
                   "oracle": np.mean([r["oracle"] for r in S]),
                   **{m: np.mean([r["acc"][m] for r in S], axis=0) for m in methods}}
    out["subjects"] = subj
    return out


def prepare_classes(seeds=SEEDS, which=NEW_CLASSES, log=print):
    out = []
    for name, new in which:
        for seed in seeds:
            sc = scenario.new_classes(name, new, base_seed=seed)
            out.append((name, seed, sc, curve.base_accuracy(sc),
                        float(np.mean(_base_pred(sc)[sc.old] == sc.y_test[sc.old])),
                        _ceiling(name, sc)))
            log(f"  new classes: {name} base seed {seed} ready")
    return out


def _ceiling(name, sc):
    """{"old", "new"}: test accuracy of the oracle head (baselines.oracle) trained on the
    embeddings of the whole training set, every class: what a linear head on this base's
    embedding reaches with all the data there is, the bound on old and new classes."""
    from ..data import load
    ds = load(name)
    index = {str(n): i for i, n in enumerate(sc.names)}
    y = np.array([index[str(n)] for n in ds.class_names])[ds.y_train]
    E, _ = embed.embeddings(sc.qm, ds.x_train)
    pred = baselines.oracle(E, y, sc.E_test, sc.y_test, embed.head(sc.qm), len(sc.names))["pred"]
    return {"old": float(np.mean(pred[sc.old] == sc.y_test[sc.old])),
            "new": float(np.mean(pred[~sc.old] == sc.y_test[~sc.old]))}


def _base_pred(sc):
    h = embed.head(sc.qm)
    return embed.logits(sc.E_test, h["w8"], h["bias"], h["mult"], h["shift"], h["zp_e"],
                        h["out_zp"], h["act"]).argmax(1)


def run_classes(prepared, hyper=None, orders=ORDERS, budgets=(1, 5, 20),
                methods=curve.METHODS):
    rows = []
    for name, seed, sc, base, base_old, ceiling in prepared:
        for o in orders:
            res = curve.play(sc, o, curve.make_learners(sc, hyper, methods), budgets)
            rows.append({"dataset": name, "seed": seed, "order": o, "base_old": base_old,
                         "ceiling": ceiling, "ram": res["ram"], "acc": res["curves"]})
    return rows


def summarize_classes(rows, name):
    R = [r for r in rows if r["dataset"] == name]
    out = {"base_old": np.mean([r["base_old"] for r in R]), "methods": {},
           "ceiling": {k: np.mean([r["ceiling"][k] for r in R]) for k in ("old", "new")}}
    for m in R[0]["acc"]:
        new = np.array([[a["new"] for a in r["acc"][m]] for r in R])
        old = np.array([[a["old"] for a in r["acc"][m]] for r in R])
        out["methods"][m] = {"new": new.mean(0), "new_std": new.std(0), "old": old.mean(0),
                             "old_std": old.std(0), "ram": int(max(r["ram"][m] for r in R))}
    return out


def base_training_table(seeds=SEEDS, subjects=None):
    """Early stopping (pipeline default) vs WATCH_FIT: epochs kept and the per-subject
    spread of the base model's float accuracy on all of the subject's windows."""
    from ..data import loso
    import os
    lines = ["| base training | runs | best epoch <= 3 | mean acc | subject range across "
             "seeds (subjects with >= 2 runs): mean | max |", "|---|---|---|---|---|---|"]
    for label, fit in (("early stopping on val loss, patience 6 (first)", bases.EARLY_STOP_FIT),
                       ("15 epochs, cosine lr, last weights", bases.COSINE_FIT),
                       ("15 epochs, cosine lr, random rotations of the windows (used)",
                        bases.AUGMENT_FIT)):
        recs = {}
        for s in subjects or loso.subjects():
            for seed in seeds:
                k = bases.watch_key(s, seed, fit)
                if os.path.isfile(os.path.join(bases.CACHE, k + ".json")):
                    recs[(s, seed)] = bases.training(k)
        if not recs:
            lines.append(f"| {label} | 0 | not trained | | | |")
            continue
        early = sum(r["best_epoch"] <= 3 for r in recs.values())
        per = [[recs[(s, sd)]["test_float"] for sd in seeds if (s, sd) in recs]
               for s in sorted({s for s, _ in recs})]
        ranges = [np.ptp(v) for v in per if len(v) >= 2] or [np.nan]
        lines.append(f"| {label} | {len(recs)} | {early} | "
                     f"{100 * np.mean([r['test_float'] for r in recs.values()]):.1f}% | "
                     f"{100 * np.mean(ranges):.1f} pts | {100 * np.max(ranges):.1f} pts |")
    return "\n".join(lines)


def _pct(v):
    return f"{100 * v:.1f}"


def render(users, classes, hyper_text, train_table, seconds) -> str:
    L = [TITLE, "",
         "Measured on the Learner's host twin (`quant/learner_twin.py`, bit-exact with the "
         "device Learner; `microlearn learn --boards` checks boards against it) with "
         f"{hyper_text}. Seeds: base models {', '.join(map(str, SEEDS))}, stream orders "
         f"{', '.join(map(str, ORDERS))}. Spread = std (and range) over the "
         f"{len(SEEDS) * len(ORDERS)} (base seed, order) runs of the mean over subjects. "
         f"Accuracy after k labels per class (k rounds of one label per class; a class with "
         f"fewer stream windows gives all it has). Section took {seconds:.0f} s.", "",
         "### Base training for new users", "",
         "Leave-one-subject-out: 7 training subjects, 2 validation subjects (fixed per "
         "held-out subject), accuracy on all of the held-out subject's windows.", "",
         train_table, ""]
    for split in SPLITS:
        u = users[split]
        L += [f"### New users, watch, {split}", "",
              f"Base {_pct(u['base'])}%, oracle {_pct(u['oracle'])}% (mean over 10 subjects "
              f"and {len(SEEDS)} base seeds).", "",
              "| method | " + " | ".join(f"{k}/class" for k in BUDGETS) + " | RAM bytes |",
              "|---|" + "---|" * (len(BUDGETS) + 1)]
        for m, v in u["methods"].items():
            cells = [f"{_pct(a)} ± {_pct(s)}" for a, s in zip(v["mean"], v["std"])]
            L.append(f"| {m} | " + " | ".join(cells) + f" | {v['ram']} |")
        ours = u["methods"]["ours"]
        i5, i20 = BUDGETS.index(5), BUDGETS.index(20)
        if split == "same-arm":
            L += ["", f"Gap closed (learner - base) / (oracle - base): "
                  + ", ".join(f"{k}/class {100 * g:.0f}%" for k, g in zip(BUDGETS, ours["gap"]))
                  + f". Goal >= 80% at 20: {met(ours['gap'][i20] >= GOALS['gap20'])}; "
                  f">= 50% at 5: {met(ours['gap'][i5] >= GOALS['gap5'])}."]
        else:
            worst = min(u["subjects"].items(), key=lambda kv: kv[1]["ours"][i20] - kv[1]["base"])
            L += ["", f"Never hurts (mean learner >= mean base): at 5/class "
                  f"{_pct(ours['mean'][i5])} vs {_pct(u['base'])}: "
                  f"{met(ours['mean'][i5] >= u['base'])}; at 20/class "
                  f"{_pct(ours['mean'][i20])} vs {_pct(u['base'])}: "
                  f"{met(ours['mean'][i20] >= u['base'])}. Worst subject: {worst[0]} "
                  f"({_pct(worst[1]['base'])} -> {_pct(worst[1]['ours'][i20])} at 20/class)."]
        best_base = [max(u["methods"][m]["mean"][i] for m in u["methods"] if m != "ours")
                     for i in range(len(BUDGETS))]
        beats = [k for k, a, b in zip(BUDGETS, ours["mean"], best_base) if a + 1e-12 < b]
        L += [f"At least as accurate as the better baseline at every budget: "
              f"{met(not beats)}" + (f" (behind at {', '.join(map(str, beats))}/class)"
                                      if beats else "") + ".", "",
              "| subject | base (range over seeds) | oracle | " +
              " | ".join(f"ours {k}" for k in BUDGETS) + " | nearest-mean 20 | knn 20 |",
              "|---|---|---|" + "---|" * (len(BUDGETS) + 2)]
        for s, v in u["subjects"].items():
            L.append(f"| {s} | {_pct(v['base'])} ({_pct(v['base_range'])}) | "
                     f"{_pct(v['oracle'])} | " + " | ".join(_pct(a) for a in v["ours"]) +
                     f" | {_pct(v['nearest-mean'][i20])} | {_pct(v['knn'][i20])} |")
        L.append("")
    L += ["### New classes", "",
          "| dataset | method | new 1 | new 5 | new 20 | old 1 | old 5 | old 20 | RAM bytes |",
          "|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for name, new_goal, drop_goal in (("digits", "digits_new", "digits_drop"),
                                      ("spoken-digits", "spoken_new", "spoken_drop")):
        c = classes.get(name)
        if c is None:
            continue
        for m, v in c["methods"].items():
            L.append(f"| {name} | {m} | " + " | ".join(
                f"{_pct(a)} ± {_pct(s)}" for a, s in zip(v["new"], v["new_std"])) + " | " +
                " | ".join(_pct(a) for a in v["old"]) + f" | {v['ram']} |")
        cl = c["ceiling"]
        L.append(f"| {name} | ceiling: oracle head on the whole training set | | | "
                 f"{_pct(cl['new'])} | | | {_pct(cl['old'])} | |")
        o = c["methods"]["ours"]
        drop = c["base_old"] - o["old"][-1]
        verdicts.append(f"{name}: new classes {_pct(o['new'][-1])}% after 20 (goal >= "
                        f"{100 * GOALS[new_goal]:.0f}%: {met(o['new'][-1] >= GOALS[new_goal])}), "
                        f"old classes {_pct(c['base_old'])} -> {_pct(o['old'][-1])}, drop "
                        f"{100 * drop:.1f} points (goal <= {100 * GOALS[drop_goal]:.0f}: "
                        f"{met(drop <= GOALS[drop_goal] + 1e-12)}; the ceiling drops "
                        f"{100 * (c['base_old'] - cl['old']):.1f})")
    L += ["", "Old classes: base accuracy on them before learning, then after 1, 5, 20 "
          "examples of each new class. The ceiling row is a float softmax head (baselines.oracle) "
          "trained on the embeddings of every training example of every class: it bounds what "
          "any head on the base's frozen embedding reaches with all the data there is. " +
          "; ".join(verdicts) + ".", ""]
    return "\n".join(L)


def section(hyper=None, log=print, targets=learner_cost.TARGETS, extra=None) -> str:
    """The markdown section, ending with the Learner's cost on `targets` (boards); 'not
    measured' with the reason when the twin is missing. extra(log) -> more subsections put
    before the cost (report.py passes tradeoff.section: it imports this module)."""
    return (_twin_section(hyper, log) + "\n" + (extra(log) if extra else "") + "\n" +
            learner_cost.section(targets, log))


def _twin_section(hyper, log) -> str:
    import time
    from ..learn.ours import twin_module
    try:
        twin_module()
    except ValueError as e:
        return f"{TITLE}\n\nNot measured: {e}.\n"
    t0 = time.perf_counter()
    pu = prepare_users(log=log)
    rows = run_users(pu, hyper)
    users = {sp: summarize_users(rows, sp) for sp in SPLITS}
    pc = prepare_classes(log=log)
    crows = run_classes(pc, hyper)
    classes = {name: summarize_classes(crows, name) for name, _ in NEW_CLASSES}
    return render(users, classes, hyper_text(hyper), base_training_table(),
                  time.perf_counter() - t0)


def hyper_text(hyper):
    if hyper:
        return "hyperparameters " + ", ".join(f"{k}={v}" for k, v in sorted(hyper.items()))
    return "the Learner's default hyperparameters"


def update_doc(text, path=None, title=TITLE) -> str:
    """Replace the section `title` (this one by default) in docs/benchmarks.md where it
    stands (append it when absent)."""
    import os
    from ..board import profiles
    path = path or os.path.join(profiles.ROOT, "docs", "benchmarks.md")
    old = open(path).read() if os.path.isfile(path) else "# Benchmarks\n"
    if title in old:  # in place
        a = old.index(title)
        nxt = old.find("\n## ", a + len(title))
        new = old[:a] + text.rstrip("\n") + "\n" + ("\n" + old[nxt + 1:] if nxt >= 0 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    with open(path, "w") as f:
        f.write(new)
    return path
