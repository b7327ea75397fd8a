"""How good a model file's arena plan is: its size beside the simple plan (every activation
and padded copy its own bytes, no reuse) and beside the least any plan can do with the same
buffers (the most bytes alive at one layer), all read from the file (docs/format.md, "Arena")."""
from .. import modelfile


def figures(mlm):
    """{"simple", "ours", "bound", "worst"}: bytes of the no-reuse plan, of the file's arena,
    and the most bytes alive at one layer (at layer "worst")."""
    info = modelfile.read(mlm)
    tensors, layers = info["tensors"], info["layers"]
    n = len(layers)
    root = list(range(n + 1))  # a RESHAPE output is its input's bytes
    for i, L in enumerate(layers):
        if L["op"] == "RESHAPE":
            root[i + 1] = root[L["inputs"][0]]
    size = {r: tensors[r]["size"] for r in set(root)}
    first = {r: r - 1 for r in size}
    last = {r: r - 1 for r in size}
    last[root[n]] = n  # the output is read after the last layer
    for i, L in enumerate(layers):
        for t in L["inputs"]:
            last[root[t]] = max(last[root[t]], i)
    scratch = {}  # layer -> bytes of its own padded copy (none when it pads in place)
    for i, L in enumerate(layers):
        if not L["scratch_size"]:
            continue
        src = root[L["inputs"][0]]
        if L["scratch_off"] == tensors[src]["offset"]:  # in place: the input's buffer grows
            size[src] = max(size[src], L["scratch_size"])
        else:
            scratch[i] = L["scratch_size"]
    live = [sum(s for r, s in size.items() if first[r] <= i <= last[r]) + scratch.get(i, 0)
            for i in range(n)]
    worst = max(range(n), key=lambda i: live[i])
    simple = sum(tensors[r]["size"] for r in set(root)) + sum(
        L["scratch_size"] for L in layers if L["scratch_size"])
    return {"simple": simple, "ours": info["arena_size"], "bound": live[worst], "worst": worst}
