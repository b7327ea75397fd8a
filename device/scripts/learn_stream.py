# Learning body (the host prepends clock.py): replay a labelled stream through
# microlearn.Learner and print its head, so the host can check every element against the
# Learner's twin (microlearn_host/learn/boards.py). Files: model.mlm; names.txt (class
# names, one per line, index = label byte); stream.bin: records of op byte (0 learn,
# 1 remember), label byte, the model's int8 input; test.bin: int8 inputs to predict;
# hyper.json: the Learner's constructor arguments (the twin's, so both learn alike).
# Records are read one at a time, so the heap does not grow with the stream.
import gc
import json
from binascii import hexlify

import microlearn
import microlearn.learner  # noqa: F401  (microlearn.Learner is lazy: this stages its code on QEMU boards)

m = microlearn.load("model.mlm")
f = open("names.txt", "rb")
names = f.read().decode().split("\n")
f.close()
f = open("hyper.json", "rb")
hyper = json.loads(f.read())
f.close()
l = microlearn.Learner(m, None, **hyper)
n_in = m.input_size
hdr = bytearray(2)
x = bytearray(n_in)
count = 0
learns = 0
total = 0
f = open("stream.bin", "rb")
while f.readinto(hdr) == 2:
    if f.readinto(x) != n_in:
        raise ValueError("stream.bin ends inside a record")
    if hdr[0] == 1:
        l.remember(x, names[hdr[1]])
    else:
        t0 = clock()
        l.learn(x, names[hdr[1]])
        total += elapsed(t0)
        learns += 1
    count += 1
    if count % 10 == 0:
        print("@n", count)
f.close()
gc.collect()
for name in ("w8", "wm", "bias", "bm"):
    mv = memoryview(getattr(l, name))
    for i in range(0, len(mv), 64):  # in pieces: a fragmented heap has no room for one
        print("@h", name, hexlify(mv[i:i + 64]).decode())
pred = bytearray()
f = open("test.bin", "rb")
while f.readinto(x) == n_in:
    pred.append(l.names.index(l.predict(x)[0]))
f.close()
print("@@ " + json.dumps({"result": "learn", "value": {
    "n": count, "learns": learns, "unit": UNIT, "per_learn": total // max(learns, 1),
    "pred": hexlify(pred).decode(), "names": l.names, "ram_bytes": l.ram_bytes(),
    "heap_free": gc.mem_free()}}))
