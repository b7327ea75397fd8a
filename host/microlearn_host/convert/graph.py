"""Map a float nn.Sequential onto int8 ops: which float layers become one QLayer.

PTQ, QAT and the exporters all need the same answer to "where does a
quantized tensor exist?", so it is computed once here. A Block is one int8 op;
its output is quantized with the range observed at the output of float layer
`range_idx` (None = the op shares its input's scale/zero point, as TFLM's
pooling and RESHAPE require).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import nn

WEIGHTED = {"dense": "FULLY_CONNECTED", "conv2d": "CONV_2D",
            "depthwise_conv2d": "DEPTHWISE_CONV_2D"}
SAME_QUANT = {"max_pool2d": "MAX_POOL_2D", "avg_pool2d": "AVERAGE_POOL_2D",
              "flatten": "RESHAPE"}
ACT_NAMES = {None: "NONE", "relu": "RELU", "relu6": "RELU6"}


@dataclass
class Block:
    op: str
    layer_idx: int              # the float layer holding weights / geometry
    covers: list = field(default_factory=list)  # every float layer index folded in
    act: str = "NONE"
    range_idx: int | None = None  # float layer whose output range quantizes this op


def plan(model: nn.Sequential) -> list[Block]:
    """Blocks in order; ValueError names a layer that has no int8 equivalent."""
    blocks: list[Block] = []
    for i, layer in enumerate(model.layers):
        kind = layer.kind
        if kind == "dropout":  # identity at inference
            continue
        if kind in WEIGHTED:
            blocks.append(Block(WEIGHTED[kind], i, [i], ACT_NAMES[layer.activation], i))
        elif kind in ("relu", "relu6"):
            prev = blocks[-1] if blocks else None
            # A standalone activation right after a conv/dense with no activation
            # is exactly a fused activation: TFLM clamps the requantized output.
            if prev is None or prev.op not in WEIGHTED.values() or prev.act != "NONE":
                raise ValueError(f"layer {i} ({kind}): a standalone activation is only "
                                 f"supported directly after a Conv/Dense without activation")
            prev.act = kind.upper()
            prev.covers.append(i)
            prev.range_idx = i
        elif kind in SAME_QUANT:
            if kind == "flatten" and len(layer.input_shape) == 1:
                continue  # already flat: nothing to do
            blocks.append(Block(SAME_QUANT[kind], i, [i]))
        elif kind == "global_avg_pool":
            # TFLM MEAN requantizes, so it gets its own observed range.
            blocks.append(Block("MEAN", i, [i], "NONE", i))
        else:
            raise ValueError(f"layer {i} ({kind}) has no int8 mapping")
    if not blocks:
        raise ValueError("model has no layers to quantize")
    return blocks


def quant_points(model: nn.Sequential) -> list[int]:
    """Float layer indices whose outputs are (re)quantized tensors in the int8 model."""
    return [b.range_idx for b in plan(model) if b.range_idx is not None]
