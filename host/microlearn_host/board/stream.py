"""`microlearn stream`: send a new user's samples to a board over its USB serial link, so a
person with just a board and its button can try active learning (the board runs
`microlearn.app.run(model, source=microlearn.sources.Lines(size))`, which reads them).

Each sample is the model's int8 input as one line of hex text, quantized here exactly as
the board quantizes floats (the reference of the model file itself). What the board prints
(its questions) is shown as it comes.
"""
from __future__ import annotations

import time

import numpy as np


def samples(model_path, user, split="same-arm"):
    """(QModel, int8 inputs (N, input bytes), class names, true classes): user's stream
    windows of the watch data, recording after recording in time order."""
    from ..convert import mlm_import
    from ..data import loso
    from ..quant import reference
    qm = mlm_import.read_file(model_path)
    u = loso.user_data(user, split)
    if tuple(qm.input_shape) != tuple(u.x_stream.shape[1:]):
        raise ValueError(f"{model_path}: input shape {tuple(qm.input_shape)} is not the watch "
                         f"windows' {tuple(u.x_stream.shape[1:])}")
    order = np.lexsort((u.start_stream, u.rec_stream))
    xq = reference.quantize_input(qm, u.x_stream[order]).reshape(len(order), -1)
    return qm, np.asarray(xq, np.int8), list(u.class_names), u.y_stream[order]


def send(out, xq, period_s=1.0, on_sent=None, read=None, sleep=time.sleep):
    """Write each row of xq as a hex line to `out` (a binary file: a serial port, a pipe),
    one every period_s; after each, read() (if given) returns what the board printed and
    on_sent(i, printed) shows it."""
    for i, x in enumerate(xq):
        out.write(np.asarray(x, np.int8).tobytes().hex().encode() + b"\n")
        out.flush()
        printed = read() if read else b""
        if on_sent:
            on_sent(i, printed)
        if i + 1 < len(xq):
            sleep(period_s)


def main(args):
    import serial  # pyserial, installed with mpremote
    qm, xq, names, y = samples(args.model, args.user)
    print(f"sending user {args.user}'s {len(xq)} windows ({xq.shape[1]} bytes each) to "
          f"{args.port}, one every {args.period} s. On the board first:\n"
          f"  import microlearn.app, microlearn.sources\n"
          f"  microlearn.app.run({args.model.split('/')[-1]!r}, "
          f"source=microlearn.sources.Lines({xq.shape[1]}))", flush=True)
    try:
        port = serial.Serial(args.port, 115200, timeout=0)
    except serial.SerialException as e:
        raise OSError(f"{args.port}: cannot open it ({e})") from None
    with port:
        def show(i, printed):
            text = printed.decode(errors="replace").rstrip()
            print(f"[{i + 1}/{len(xq)} true {names[int(y[i])]}] {text}", flush=True)
        send(port, xq, args.period, show, lambda: port.read(4096))
    return 0
