# microlearn: int8 inference and on-device learning for MicroPython.
__version__ = "0.1.0"
