"""What every bench section shares: a bench body run on a board with a progress line, the
same run that reports a failure instead of raising, the RP2040 clock that turns m0
instruction counts into time, and the goal verdict the tables print."""
from ..board.progress import stage
from ..board.runner import run_body as _run_body

MHZ = 125  # RP2040 clock: instructions / MHZ ~ microseconds at one instruction per cycle


def run_body(target, body, files=None, what=None):
    """runner.run_body with a progress line per board run (QEMU runs take seconds to minutes);
    `what` names the run in that line (default: the body and the target)."""
    with stage(what or "bench: %s on %s" % (body[:-3], target)):
        return _run_body(target, body, files)


def try_run(target, body, files=None, what=None):
    """(run_body's results, None), or (None, the failure's last line): a section reports a
    target that is not built or a board error, and the run goes on."""
    try:
        return run_body(target, body, files, what), None
    except Exception as e:  # a target not built, a board error, a device traceback
        lines = [l.strip() for l in str(e).splitlines() if l.strip()]
        return None, (lines[-1] if lines else type(e).__name__)[:120]


def met(ok):
    return "met" if ok else "**not met**"
