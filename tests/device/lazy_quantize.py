# A streamed model (host-staged by tests/host/test_quantize_input.py: big.mlm, xf.bin = float32
# input, xq.bin = the host reference's int8 for it). load(stream=True) leaves the float input's
# quantize unimported (a camera model fed int8 never needs it); the first float predict
# imports it and scores exactly as the reference's int8 input does.
import sys
from array import array
from devtest import check, done, equal
import microlearn

m = microlearn.load("big.mlm", stream=True, wbuf=2048)
check("quantize not imported at load", "microlearn.quantize_viper" not in sys.modules
      and "microlearn.quantize" not in sys.modules and m._q is None)
with open("xq.bin", "rb") as f:
    xq = f.read()
want = bytes(m.predict_int8(xq))
with open("xf.bin", "rb") as f:
    xf = array("f", f.read())
got = bytes(m.predict_int8(m.quantize(xf, bytearray(m.input_size))))
equal("quantize(float input) == reference int8", got, want)
check("quantize imported on first use", m._q is not None)
equal("predict(float input) == predict_int8(reference int8)", list(m.predict(xf)),
      list(m.predict(xq)))
done()
