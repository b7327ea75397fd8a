"""Every board profile loads and holds what the tools need."""
import pytest

from microlearn_host.board import profiles as boards


@pytest.mark.parametrize("name", boards.names())
def test_profile(name):
    b = boards.load(name)
    assert b["name"] == name
    assert 32 * 1024 <= b["heap_bytes"] <= 512 * 1024
    if b["kind"] == "hardware":
        assert b["lib_dir"].startswith("/")
        assert "pin" in b["button"] or b["button"].get("bootsel")
        assert "pin" in b["led"]
    elif b["kind"] == "qemu":
        assert b["firmware"].endswith(".elf") and b["qemu_args"]
    else:
        assert b["binary"] and b["heap_arg"]


def test_required_boards():
    esp, rp = boards.load("esp32"), boards.load("rp2040")
    assert (esp["arch"], esp["button"]["pin"], esp["button"]["active_low"], esp["led"]["pin"]) == ("xtensawin", 0, True, 2)
    assert (rp["arch"], rp["button"]["bootsel"], rp["led"]["pin"]) == ("armv6m", True, "LED")
    assert set(boards.virtual_names()) >= {"unix", "unix32", "m0"}


def test_unknown_board():
    with pytest.raises(boards.BoardError, match="known: esp32"):
        boards.load("esp8266")
