"""Training in pure NumPy (float32), NHWC tensors, weights in TFLite layout.

    from microlearn_host import nn
    model = nn.Sequential([nn.Conv2D(8, 3, padding="same", activation="relu"),
                           nn.MaxPool2D(2), nn.Flatten(), nn.Dense(10)],
                          input_shape=(8, 8, 1), seed=0, mean=ds.mean, std=ds.std)
    hist = model.fit(ds.x_train, ds.y_train, validation_data=(ds.x_val, ds.y_val))
    nn.save_model(model, "model.npz"); model = nn.load_model("model.npz")

For export, each layer has `kind`, `get_config()`, `weights()` (TFLite
layout), `input_shape` and `output_shape`; the model has `mean`/`std`.
"""
from .base import Layer
from .conv import Conv1D, Conv2D
from .dense import Dense
from .depthwise import DepthwiseConv2D
from .losses import softmax, softmax_cross_entropy
from .model import Sequential
from .optim import Adam
from .pooling import AvgPool1D, AvgPool2D, GlobalAvgPool, MaxPool1D, MaxPool2D
from .serialize import LAYER_KINDS, load_model, save_model
from .simple import Dropout, Flatten, ReLU, ReLU6
from .train import History, fit

__all__ = ["Layer", "Dense", "Conv1D", "Conv2D", "DepthwiseConv2D", "AvgPool1D", "AvgPool2D",
           "MaxPool1D", "MaxPool2D", "GlobalAvgPool", "Flatten", "ReLU", "ReLU6", "Dropout",
           "softmax", "softmax_cross_entropy", "Sequential", "Adam", "History", "fit",
           "save_model", "load_model", "LAYER_KINDS"]
