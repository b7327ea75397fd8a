# Runs kernel cases staged by tests/host/test_kernels_vs_reference.py through
# both the viper kernels and their twins and prints every output as hex; the
# host compares them with the numpy reference. Not a check_* script: it needs
# the staged file cases.bin (record format: see build() in that test). Cases
# are read one at a time: the QEMU boards' heap also holds every staged file.
import json
from array import array
from binascii import hexlify
from devtest import check, result, done
from microlearn import kernels, kernels_py as kp, kernels_py_pool as kpp
from microlearn import kernels_viper as kv, kernels_viper_pool as kvp

check("viper kernels selected", kernels.NATIVE, "kernels.NATIVE is False")
IMPLS = (("viper", kv, kvp), ("twin", kp, kpp))
f = open("cases.bin", "rb")


def next_case():
    hdr = f.read(4)
    if len(hdr) < 4:
        return None, None
    c = json.loads(f.read(hdr[0] | hdr[1] << 8))
    data = bytearray(hdr[2] | hdr[3] << 8)  # own allocation: 4-aligned for ptr32 views
    f.readinto(data)
    return c, memoryview(data)


count = 0
same = True
while True:
    c, mv = next_case()
    if c is None:
        break
    k, cid = c["k"], c["id"]
    bufs = [mv[o:o + n] for o, n in c["b"]]
    # int32 arrays: odd ids pass 4-aligned memoryviews of the case data, even ids array('i')
    if cid & 1:
        i32 = [mv[o:o + 4 * n] for o, n in c["w"]]
    else:
        i32 = [array('i', bytes(mv[o:o + 4 * n])) for o, n in c["w"]]
    p = array('i', c["p"])
    outs = []
    for name, mod, pool in IMPLS:
        out = bytearray(c["n"])
        if k in ("conv", "dwconv"):
            pp = array('i', c["pad"])
            xp = bytearray(pp[5] * pp[6] * pp[2])
            pool.pad(bufs[0], xp, pp)
            getattr(mod, k)(xp, bufs[1], i32[0], i32[1], i32[2], out, p)
        elif k == "fc":
            mod.fc(bufs[0], bufs[1], i32[0], i32[1], i32[2], out, p)
        else:
            getattr(pool, k)(*(bufs + [out, p]))
        outs.append(hexlify(out).decode())
    result("%d" % cid, [k] + outs)
    same = same and outs[0] == outs[1]
    count += 1

f.close()
result("count", count)
check("viper == twin on every staged case", same)
done()
