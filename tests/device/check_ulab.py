# ulab where the firmware has it: the engine takes a ulab ndarray (1-D or 2-D)
# as float input and gives the same bits as a list; an int8 ndarray is int8 input. Without ulab (the builds made here) the
# engine must not need it. Run with MICROPYTHON=<a build with ulab> for the real check.
from array import array
from devtest import equal, result, done
import engine_fixture as fx
import microlearn
from microlearn import compat

with open("cnn.mlm", "wb") as f:
    f.write(fx.CNN_MODEL)
m = microlearn.load("cnn.mlm")
xf = list(array("f", fx.CNN_XF))
equal("float list input", bytes(m.predict_int8(xf)), fx.CNN_OUT_XF)
result("ulab", compat.np is not None)
if compat.np is not None:
    np = compat.np
    equal("ulab ndarray input == list input", bytes(m.predict_int8(np.array(xf))), fx.CNN_OUT_XF)
    shape2 = (len(xf) // m.input_shape[-1], m.input_shape[-1])
    equal("2-D ulab ndarray input == list input",
          bytes(m.predict_int8(np.array(xf).reshape(shape2))), fx.CNN_OUT_XF)
    x8 = np.frombuffer(bytearray(fx.CNN_X), dtype=np.int8)  # an int8 array is int8 input
    equal("ulab int8 ndarray is int8 input", bytes(m.predict_int8(x8)), fx.CNN_OUT)
    w = np.frombuffer(m.predict_int8(fx.CNN_X), dtype=np.int8)  # zero-copy view of the output
    equal("ulab int8 view of the output tensor", list(w), list((b ^ 0x80) - 0x80 for b in fx.CNN_OUT))
done()
