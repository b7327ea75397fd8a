# Query strategies and the adaptive Budget (microlearn.query): scores of hand-worked
# probability vectors, the asking rate a Budget settles at on a seeded stream of scores,
# that it asks the uncertain samples, its cap, bad arguments, and no allocation.
import micropython
from devtest import check, equal, raises, done, result, target, Rand
from microlearn import query as Q

result("target", target())


def q_of(ps):  # int8 probability bytes of p/256 values, as Learner.scores gives them
    return bytes((p - 128) & 0xFF for p in ps)


q = q_of([200, 50, 6])
equal("least confidence: 256 - 200", Q.score(Q.LEAST, q, 3), 56)
equal("margin: 256 - (200 - 50)", Q.score(Q.MARGIN, q, 3), 106)
# -p log2 p * 256 of 200/256, 50/256, 6/256: 71.2, 117.4 (rounded 71 + 117), 32.8 (33)
equal("entropy: 71 + 117 + 33", Q.score(Q.ENTROPY, q, 3), 221)
equal("scores of a sure answer", [Q.score(k, q_of([255, 0, 0]), 3) for k in (0, 1, 2)],
      [1, 1, 1])
equal("margin of a tie", Q.score(Q.MARGIN, q_of([100, 100, 56]), 3), 256)
equal("only the first n classes count", Q.score(Q.LEAST, q_of([10, 20, 250]), 2), 236)
equal("random: the low 8 bits", Q.score(Q.RANDOM, q, 3, 0x1234), 0x34)
equal("strategy names", [Q.strategy(n) for n in Q.NAMES], [0, 1, 2, 3])
raises("unknown strategy name", ValueError, Q.strategy, "greedy")

r = Rand(5)
scores = [r.rint(0, 255) for _ in range(5000)]
b = Q.Budget(every=10)
flags = [b.ask(s) for s in scores]
asked = [s for s, f in zip(scores, flags) if f]
tail = sum(1 for f in flags[1000:] if f)  # the first questions raise the threshold from 0
check("asks about 1 in 10 once settled (%d of the last 4000)" % tail, 360 <= tail <= 440,
      repr(b))
check("the first sample is asked (a Learner knows nothing yet)", flags[0])
mean_all = sum(scores) // len(scores)
check("asks the uncertain ones: mean score asked %d vs all %d"
      % (sum(asked) // len(asked), mean_all), sum(asked) // len(asked) > mean_all + 60, repr(b))
b = Q.Budget(every=3, total=7)
equal("total caps the questions", sum(1 for s in scores[:200] if b.ask(s)), 7)
equal("seen counts every sample", b.seen, 200)
b = Q.Budget(every=1)
equal("every=1 asks everything", sum(1 for s in scores[:50] if b.ask(s)), 50)
raises("every of 0", ValueError, Q.Budget, 0)
raises("total of -1", ValueError, Q.Budget, 10, -1)
raises("step of a float", ValueError, Q.Budget, 10, None, 1.5)
check("repr says the rate", "1 in 3" in repr(Q.Budget(3)), repr(Q.Budget(3)))

def locked(b, kinds, out):  # a function: module-level names would grow the globals dict
    micropython.heap_lock()
    try:
        for k in kinds:
            out[0] += Q.score(k, q, 3, 77)
            out[1] += b.ask(out[0] & 0xFF)
    except MemoryError:
        return False
    finally:
        micropython.heap_unlock()
    return True


ok = locked(Q.Budget(every=10), [Q.LEAST, Q.MARGIN, Q.ENTROPY, Q.RANDOM], [0, 0])
check("score() and ask() allocate nothing", ok)
done()
