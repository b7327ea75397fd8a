"""int8 quantised model IR, TFLite integer math and a numpy reference engine."""
from .qmodel import QLayer, QModel, OPS, prepare  # noqa: F401
