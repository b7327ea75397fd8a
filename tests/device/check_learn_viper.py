# The Learner's viper loops (learn_viper) against their plain twins (learn_py), word
# for word, on a seeded stream of random cases plus the extremes: g = -256 and 255,
# xc = +-510 (embedding bytes -128/127 with zp_e + mu = 382/-383), the largest LR and
# LRB the Learner accepts, shifts 1 and 30, masters at their clamps, weights +-127,
# moves of the mean of +-510 (recentre's clamp path). Viper runs under
# heap_lock: it must not allocate.
import micropython
from array import array
from devtest import check, result, done, target, Rand
from microlearn import learn_py as lp
from microlearn.compat import native_learn

result("target", target())
lv = native_learn()
check("viper learn loops selected", lv is not None, "native emitter missing?")

_rand = Rand(77)
rnd = _rand.rnd
rint = _rand.rint



def zeros(n):
    """n int32 zeros in one allocation (array("i", bytes(4 * n)) makes a temporary as big:
    on m0 at d = 4096 the heap may not hold both)."""
    a = array("i", range(n))
    for i in range(n):
        a[i] = 0
    return a


def rbytes(n, mode):
    if mode == 0:
        return bytearray([0x80] * n)
    if mode == 1:
        return bytearray([0x7F] * n)
    return bytearray(rnd() & 0xFF for _ in range(n))


bad = []
alloc = []
counts = [0, 0, 0, 0, 0]
WL = 127 * 256


def rmz(d, extreme):
    # zp_e + mu: -128..127 plus a mean of -255..255 (limits: -383..382)
    return array("i", [(-383, 382, rint(-383, 382))[rnd() % 3] if extreme else rint(-200, 200)
                       for _ in range(d)])


def same(kind, case, a, b):
    for name, u, v in zip(("wm", "w8", "bm", "bias"), a, b):
        if u != v and len(bad) < 5:
            i = next(i for i in range(len(u)) if u[i] != v[i])
            bad.append("%s case %d %s: first difference at %d: viper %d twin %d"
                       % (kind, case, name, i, u[i], v[i]))


def locked(kind, fn, *a):
    micropython.heap_lock()
    try:
        if len(a) == 8:  # fixed arity: fn(*a) would allocate
            fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
        else:
            fn(a[0], a[1], a[2], a[3], a[4], a[5])
    except MemoryError:
        alloc.append(kind)
    finally:
        micropython.heap_unlock()


def head_case(extreme):
    d, n = rint(1, 40), rint(1, 9)
    bl = rint(1, (1 << 22) - 1) << 8
    wm = array("i", [(WL, -WL, rint(-WL, WL))[rnd() % 3] if extreme else rint(-WL, WL)
                     for _ in range(n * d)])
    bm = array("i", [(bl, -bl, rint(-bl, bl))[rnd() % 3] for _ in range(n)])
    w8 = bytearray(rnd() & 0xFF for _ in range(n * d))
    if extreme and rnd() & 1:
        w8 = bytearray((0x81, 0x7F)[rnd() & 1] for _ in range(n * d))
    bias = array("i", [rint(-1000, 1000) for _ in range(n)])
    return d, n, bl, (wm, w8, bm, bias)


def copies(a):
    return tuple(array("i", x) if isinstance(x, array) else bytearray(x) for x in a)


def update_case(case, extreme):
    d, n, bl, a = head_case(extreme)
    y = rint(0, n - 1)
    e = rbytes(d, rnd() % 3 if extreme else 2)
    if extreme:  # g = -256 at y (p256 0), g = 255 elsewhere (p256 255), or random
        q = bytearray(n)
        for k in range(n):
            q[k] = (0x80 if k == y else 0x7F) if rnd() & 1 else rnd() & 0xFF
        lr, ls = ((1 << 13) - 1, rint(1, 30)) if rnd() & 1 else (rint(1, 300), (1, 30)[rnd() & 1])
        lrb, lbs = ((1 << 22) - 1, rint(1, 30)) if rnd() & 1 else (rint(1, 300), (1, 30)[rnd() & 1])
    else:
        q = rbytes(n, 2)
        lr, ls, lrb, lbs = rint(1, 64), rint(1, 12), rint(1, 4096), rint(1, 12)
    mz = rmz(d, extreme)
    xc = array("i", [((e[j] ^ 0x80) - 0x80) - mz[j] for j in range(d)])  # as rate() leaves it
    p = array("i", [d, n, y, lr, ls, lrb, lbs, WL, bl])
    b = copies(a)
    locked("update", lv.update, xc, a[0], a[1], q, a[2], a[3], mz, p)
    lp.update(xc, b[0], b[1], q, b[2], b[3], mz, p)
    counts[0] += 1
    same("update", case, a, b)


def recentre_case(case, extreme):
    d, n, bl, a = head_case(extreme)
    mz = rmz(d, extreme)
    k = rnd() % 3 if extreme else 2  # moves of the mean: extreme, at the clamp, small
    dmu = array("i", [(510, -510)[rnd() & 1] if k == 0 else rint(-3, 3) for _ in range(d)])
    p = array("i", [d, n, bl])
    b = copies(a)
    locked("recentre", lv.recentre, a[1], dmu, a[2], a[3], mz, p)
    lp.recentre(b[1], dmu, b[2], b[3], mz, p)
    counts[2] += 1
    same("recentre", case, a, b)


for case in range(150):
    update_case(case, case % 2)
    recentre_case(case, case % 2)

for case in range(40):
    n = rint(1, 300)
    src = rbytes(n + 20, 2)
    dst = rbytes(n + 20, 2)
    d2 = bytearray(dst)
    so, do = rint(0, 20), rint(0, 20)
    micropython.heap_lock()
    try:
        lv.copy8(dst, src, do, so, n)
    except MemoryError:
        alloc.append("copy8")
    finally:
        micropython.heap_unlock()
    lp.copy8(d2, src, do, so, n)
    counts[1] += 1
    if dst != d2 and len(bad) < 5:
        bad.append("copy8 case %d differs" % case)

for case in range(60):  # rate: extremes are the largest D the Learner takes with |xc| = 510,
    # n2 = 1 (the step wants more than lr = 4095, ls = 1 gives), and n2 = 0 (no step)
    d = (4096, 1, 3)[case] if case < 3 else rint(1, 40)
    if case < 3:
        e = bytearray([(0x80, 0x01, 0x05)[case]] * d)
        mz = array("i", [(382, 0, 5)[case]] * d)
    else:
        e = rbytes(d, 2)
        mz = rmz(d, case & 1)
    pw = array("i", [rint(16384, 32767), (rint(-45, 5), 20, 0)[case] if case < 3
                     else rint(-45, 5)])
    pa = array("i", [d, 0, 0, -1, -1, 0, 0, 0, 0])
    pb = array("i", pa)
    xa = zeros(d)
    xb = zeros(d)
    got = -1
    micropython.heap_lock()
    try:
        got = lv.rate(e, mz, pa, pw, xa)
    except MemoryError:
        alloc.append("rate")
    finally:
        micropython.heap_unlock()
    want = lp.rate(e, mz, pb, pw, xb)
    counts[3] += 1
    if (got != want or pa != pb or xa != xb) and len(bad) < 5:
        bad.append("rate case %d: viper %d %r, plain %d %r" % (case, got, list(pa), want,
                                                               list(pb)))
    n2 = 0
    for j in range(d):
        xc = ((e[j] ^ 0x80) - 0x80) - mz[j]
        n2 += xc * xc
        if xb[j] != xc and len(bad) < 5:
            bad.append("rate case %d: centred input %d is %d, want %d" % (case, j, xb[j], xc))
    if (want == 0) != (n2 == 0) and len(bad) < 5:
        bad.append("rate case %d: returned %d for n2 = %d" % (case, want, n2))
    if want and 1 < pb[4] < 30 and len(bad) < 5:  # not clamped: lr / 2**ls ~ W * 2**we / n2
        r = pb[3] * n2 / pw[0] / 2 ** (pw[1] + pb[4])
        if not 0.999 < r < 1.001:
            bad.append("rate case %d: lr / 2**ls is %f x W * 2**we / n2" % (case, r))

for case in range(60):  # centre: sums at +-(2**20 inputs of +-255), counts 1 and 2**20
    d = rint(1, 40)
    e = rbytes(d, rnd() % 3)
    zp = rint(-128, 127)
    cnt = (1, 1 << 20, rint(1, 50))[case % 3]
    lim = 255 * cnt
    ms = array("i", [(lim - 255, 255 - lim, rint(-lim, lim))[rnd() % 3] for _ in range(d)])
    mz = rmz(d, case & 1)
    a = (array("i", ms), zeros(d), array("i", mz))
    b = (array("i", ms), zeros(d), array("i", mz))
    got = None
    micropython.heap_lock()
    try:
        got = lv.centre(e, a[0], a[1], a[2], d, zp, cnt)
    except MemoryError:
        alloc.append("centre")
    finally:
        micropython.heap_unlock()
    want = lp.centre(e, b[0], b[1], b[2], d, zp, cnt)
    counts[4] += 1
    if (bool(got) != bool(want) or a != b) and len(bad) < 5:
        bad.append("centre case %d: viper %r %r, plain %r %r" % (case, got, a, want, b))
    for j in range(d):  # independent: mu = floor(sum / cnt), and the move reported
        s = ms[j] + ((e[j] ^ 0x80) - 0x80) - zp
        m = (s - (s % cnt)) // cnt
        if (b[0][j], b[2][j], b[1][j]) != (s, zp + m, zp + m - mz[j]) and len(bad) < 5:
            bad.append("centre case %d: element %d is %r, want sum %d mu %d"
                       % (case, j, (b[0][j], b[2][j], b[1][j]), s, m))
            break
    if bool(want) != any(b[1]) and len(bad) < 5:
        bad.append("centre case %d: returned %r with moves %r" % (case, want, b[1]))

result("cases (update, copy8, recentre, rate, centre)", counts)
check("viper learn loops do not allocate", not alloc, ", ".join(alloc))
check("viper == twin on update, recentre, copy8, rate and centre", not bad, "; ".join(bad))
done()
