"""Run .tflite bytes through tflite-micro (PyPI `tflite-micro`), the int8 oracle.

Intermediate layer outputs are obtained by writing the model with every
layer output listed as a graph output (writer.write(model, outputs='all')):
TFLM's memory planner keeps graph outputs alive, so no special interpreter
mode is needed.
"""
import numpy as np

# A test/tool dependency (requirements.txt): importing the oracle without it must fail.
from tflite_micro.python.tflite_micro import runtime as _tflm


class Oracle:
    """One tflite-micro interpreter, reusable for many inputs."""

    def __init__(self, tflite_bytes, arena_size=None):
        data = bytes(tflite_bytes)
        # TFLM's default arena (10x model size) is too small for tiny models
        # with comparatively big activations.
        arena = arena_size or max(len(data) * 10, 1 << 20)
        self.it = _tflm.Interpreter.from_bytes(data, arena_size=arena)
        self.n_outputs = _count_outputs(data)

    def run(self, x):
        """All graph outputs for one input (batch dim added/removed here)."""
        x = np.asarray(x)
        self.it.set_input(x.reshape((1,) + x.shape), 0)
        self.it.invoke()
        return [np.array(self.it.get_output(k))[0] for k in range(self.n_outputs)]


def _count_outputs(data):
    import tflite
    m = tflite.Model.GetRootAs(data, 0)
    return m.Subgraphs(0).OutputsLength()


def run(tflite_bytes, x):
    """Outputs (no batch dim) of a .tflite model for one input array."""
    return Oracle(tflite_bytes).run(x)


def run_model(model, x_int8):
    """Per-layer int8 outputs of a QModel as computed by tflite-micro."""
    from .writer import write
    return Oracle(write(model, outputs='all')).run(np.asarray(x_int8, np.int8))
