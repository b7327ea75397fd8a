# Query strategies and a Budget on a stream of probability vectors (q.bin: N vectors of n
# int8 probabilities, then r.bin: N random ints, 4 bytes little-endian; n.txt: "N n every"):
# the host twin (learn/active.py) must give the same scores and the same questions.
from devtest import check, result, done
from microlearn import query as Q

with open("n.txt") as f:
    N, n, every = [int(v) for v in f.read().split()]
with open("q.bin", "rb") as f:
    qs = f.read()
with open("r.bin", "rb") as f:
    rs = f.read()
for k in range(4):
    b = Q.Budget(every)
    scores = []
    asked = []
    for i in range(N):
        q = qs[i * n:(i + 1) * n]
        r = rs[4 * i] | rs[4 * i + 1] << 8 | rs[4 * i + 2] << 16 | (rs[4 * i + 3] & 0x3F) << 24
        s = Q.score(k, q, n, r)
        scores.append(s)
        asked.append(1 if b.ask(s) else 0)
    result(Q.NAMES[k] + " scores", scores)
    result(Q.NAMES[k] + " asked", asked)
    check(Q.NAMES[k] + ": every sample scored and decided", len(scores) == len(asked) == N)
done()
