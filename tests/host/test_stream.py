"""`microlearn stream` into sources.Lines on a real MicroPython (unix, its stdin a pipe as a
serial link would be): the board gets every sample byte for byte and skips a garbled line;
and the samples of a watch user are the model's int8 inputs."""
import os
import subprocess

import numpy as np

from conftest import DEVICE_TESTS
from microlearn_host.board import profiles, stream


def test_samples_arrive_exactly(tmp_path):
    rng = np.random.default_rng(5)
    xq = rng.integers(-128, 128, size=(6, 40)).astype(np.int8)
    (tmp_path / "n.txt").write_bytes(b"40 6")
    env = dict(os.environ, MICROPYPATH=":".join([os.path.join(profiles.ROOT, "device"),
                                                  DEVICE_TESTS]))
    proc = subprocess.Popen([profiles.load("unix")["binary"],
                             os.path.join(DEVICE_TESTS, "lines_echo.py")], cwd=tmp_path,
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    proc.stdin.write(b"zz not hex\n")  # garbled: skipped with a message
    stream.send(proc.stdin, xq, period_s=0, sleep=lambda s: None)
    out, _ = proc.communicate(timeout=60)
    text = out.decode()
    assert "skipped a line of 10 hex digits, expected 80" in text
    import json
    res = {d["result"]: d["value"] for d in
           (json.loads(l[3:]) for l in text.splitlines() if l.startswith("@@ "))
           if "result" in d}
    assert res["got"] == [bytes(x.tobytes()).hex() for x in xq]
    assert res["bad"] == 1


def test_watch_user_samples(tmp_path):
    from microlearn_host import modelfile
    from microlearn_host.learn import bases, scenario
    qm = bases.watch_base(3, 0)[1]
    path = tmp_path / "w.mlm"
    path.write_bytes(modelfile.write(qm))
    qm2, xq, names, y = stream.samples(str(path), 3)
    sc = scenario.watch_user(3, "same-arm", 0, qm=qm)
    assert len(xq) == len(sc.xq_stream) and xq.shape[1] == int(np.prod(qm.input_shape))
    # the same windows as the scenario's, reordered by recording and time
    assert sorted(map(bytes, xq)) == sorted(map(bytes, sc.xq_stream))
    assert names == sc.names and sorted(y.tolist()) == sorted(sc.y_stream.tolist())


def test_a_port_that_does_not_open(tmp_path):
    import pytest
    from microlearn_host import cli, modelfile
    from microlearn_host.learn import bases
    path = tmp_path / "w.mlm"
    path.write_bytes(modelfile.write(bases.watch_base(3, 0)[1]))
    with pytest.raises(OSError, match="/dev/no-such-port: cannot open it"):
        stream.main(cli.build_parser().parse_args(
            ["stream", "--port", "/dev/no-such-port", "--model", str(path)]))
