# sources.Lines on this process's stdin: the host test pipes hex lines into it, as
# `microlearn stream` does over a serial link; prints what each read() returned.
from devtest import result, check, done
from microlearn.sources import Lines

with open("n.txt", "rb") as f:
    size, n = [int(v) for v in f.read().decode().split()]
src = Lines(size)
got = []
t = 0
while len(got) < n and t < 2000000:
    x = src.read(t)
    if x is not None:
        got.append(bytes(x).hex())
    t += 1
result("got", got)
result("bad", src.bad)
check("every sample arrived", len(got) == n, len(got))
done()
