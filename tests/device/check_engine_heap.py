# load() with less and less heap left: every outcome is a loaded model or a
# ValueError that says so, never a raw MemoryError, whichever allocation runs
# out (the file buffer, the arena, the kernels' code, the per-layer tables).
# (Files bigger than the heap: tests/host/test_budget_device.py stages them.)
import gc
from devtest import check, result, done
import engine_fixture as fx
import microlearn  # not the kernels: load() imports them, and that must fail cleanly too

with open("cnn.mlm", "wb") as f:
    f.write(fx.CNN_MODEL)
ballast = [None] * 800


def squeeze(left):
    """Fill the heap with small blocks until about `left` bytes stay free."""
    gc.collect()
    k = 0
    try:
        while k < len(ballast) and gc.mem_free() > left + 1100:
            ballast[k] = bytearray(1024)
            k += 1
        if k < len(ballast) and gc.mem_free() > left + 100:
            ballast[k] = bytearray(gc.mem_free() - left - 64)
    except MemoryError:
        pass


def release():
    for k in range(len(ballast)):
        ballast[k] = None
    gc.collect()


outcomes = {}
smallest = None
for left in range(80000, 0, -400):
    squeeze(left)
    err = None
    try:
        m = microlearn.load("cnn.mlm")
        m.predict(bytes(m.input_size))
        m = None
        kind = "ok"
    except ValueError as e:
        kind = "ValueError"
        err = str(e)
    except Exception as e:
        kind = type(e).__name__
        err = "%s: %s" % (kind, e)
        import sys
        sys.print_exception(e)
    release()
    outcomes[kind] = outcomes.get(kind, 0) + 1
    if kind == "ok":
        smallest = left
    elif kind != "ValueError":
        check("%d bytes left: a load or a ValueError" % left, False, err)
        break
    elif outcomes[kind] == 1:
        result("first ValueError", err)
result("outcomes", outcomes)
result("smallest heap left that loaded", smallest)
check("no raw MemoryError or other exception", set(outcomes) <= {"ok", "ValueError"}, outcomes)
check("loads with a roomy heap and refuses a tight one", outcomes.get("ok") and outcomes.get("ValueError"),
      outcomes)
done()
