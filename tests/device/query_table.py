# The entropy table of microlearn.query against h.bin, the table the host computed with
# CPython's math (tests/host/test_query.py).
from devtest import equal, done
from microlearn import query

with open("h.bin", "rb") as f:
    equal("entropy table", list(query._H), list(f.read()))
done()
