"""microlearn.state beyond tests/device/check_state*.py (which run on every virtual board):

- power cuts: the Unix MicroPython process is SIGKILLed at >= 100 random instants inside
  state.save() and started again each time; the state it loads must be exactly the last one
  whose save completed or the one being written, never anything else, never missing once a
  save has completed;
- real MicroPython filesystems (littlefs v2 and FAT on a RAM block device): only the Unix
  ports have them built in, so this runs there.
"""
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import DEVICE_TESTS
from microlearn_host.board import profiles as boards

KILLS_IN_SAVE = 200


def _start(prof, cwd, script="state_powercut.py"):
    """The device script on prof's Unix port in cwd, in its own process group (so that
    _kill takes it all), stderr to cwd/stderr.txt: (process, stderr file)."""
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join([os.path.join(boards.ROOT, "device"), DEVICE_TESTS])
    cmd = [prof["binary"], "-X", "heapsize=" + prof["heap_arg"],
           os.path.join(DEVICE_TESTS, script)]
    err = open(os.path.join(cwd, "stderr.txt"), "w+b")
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err,
                            stdin=subprocess.DEVNULL, start_new_session=True), err


def _read_until(proc, marker, deadline):
    """Raw reads (no read-ahead buffer that would hide lines later) until marker or EOF."""
    data = b""
    while marker not in data and time.monotonic() < deadline:
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        data += chunk
    return data


def _kill(proc, err):
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    out = _read_until(proc, b"\0", time.monotonic() + 10)  # the rest, up to EOF
    proc.stdout.close()
    err.seek(0)
    text = err.read().decode()
    err.close()
    return out.decode(), text


def test_power_cut_leaves_old_or_new_state(tmp_path):
    prof = boards.load("unix")
    rng = random.Random(20261125)
    last_done = None  # highest state whose save() returned
    in_save = runs = torn_tmp = 0
    start = time.monotonic()
    while in_save < KILLS_IN_SAVE:
        assert runs < 4 * KILLS_IN_SAVE, "only %d of %d kills landed inside save()" % (
            in_save, runs)
        runs += 1
        torn_tmp += os.path.exists(tmp_path / "pc.bin.tmp")  # a kill mid-write left it
        proc, err = _start(prof, str(tmp_path))
        head = _read_until(proc, b"ready\n", time.monotonic() + 20).decode()
        lines = head.split("\n")
        if lines[0].startswith("warning: incomplete pc.bin.tmp ignored"):
            # killed inside the very first save: no state yet, a partial .tmp
            assert last_done is None, "run %d: %s" % (runs, lines[0])
            lines = lines[1:]
        first = lines[0].split()
        assert len(lines) > 2 and lines[1] == "ready", "run %d: %r\n%s" % (
            runs, head, _kill(proc, err)[1])
        if last_done is None:
            assert first[:2] in (["loaded", "none"], ["loaded", "1"]), first
        else:
            assert first[:2] != ["loaded", "none"], "run %d: state lost after save %d" % (
                runs, last_done)
            c = int(first[1])
            assert c in (last_done, last_done + 1), \
                "run %d: loaded state %d, last completed %d; before: %r" % (
                    runs, c, last_done, prev)
        if first[1] != "none":
            assert first[2] == "ok", "run %d: state %s is not what it should be: %s" % (
                runs, first[1], first[2:])
            # it was the one being written: now it is the last completed one
            last_done = max(last_done or 0, int(first[1]))
        time.sleep(rng.uniform(0.0, 0.02))
        out, errtext = _kill(proc, err)
        lines = "\n".join(lines[2:]) + out
        lines = lines.split("\n")
        done = [int(l.split()[1]) for l in lines if l.startswith("saved ")]
        if done:
            last_done = max(done)
        tail = [l for l in lines if l.startswith("sav")]
        if tail and tail[-1].startswith("saving"):
            in_save += 1  # killed after "saving c" and before "saved c"
        prev = lines[-6:]
        assert "Traceback" not in errtext, errtext
        assert not os.path.exists(tmp_path / "pc.bin.bad"), \
            "run %d: a torn state file was found" % runs
    assert last_done is not None and last_done > runs, "too few saves completed: %s" % last_done
    assert torn_tmp >= 1, "no kill landed while the .tmp was being written"
    print("%d runs, %d kills inside save(), %d left a .tmp, %d saves completed, %.1f s"
          % (runs, in_save, torn_tmp, last_done, time.monotonic() - start))


@pytest.mark.parametrize("target", ["unix", "unix32"])
def test_state_on_littlefs_and_fat(target, run_device):
    run_device(target, "state_realfs.py")
