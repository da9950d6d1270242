"""ConfinedProcess: one confined child answering many calls (the Run page's model process).
It keeps what calls leave in its globals, stays confined for every call, survives a call that
fails, and ends on cancel or close, after which a call fails at once with one line."""

from __future__ import annotations

import threading
import time

import pytest

from kinspect.errors import Cancelled, ConvertError
from kinspect.progress import Progress
from kinspect.safety.confine import ConfinedProcess, ConfinementError, confinement
from tests.safety import confined_probe

pytestmark = pytest.mark.skipif("NOT confined (no Landlock)" in confinement(),
                                reason="the kernel offers no Landlock here")


def test_calls_share_the_process_and_stay_confined(tmp_path):
    model, out = tmp_path / "model", tmp_path / "out"
    model.mkdir()
    out.mkdir()
    (model / "m.txt").write_text("weights")
    (tmp_path / "secret.txt").write_text("secret")
    with ConfinedProcess(read=[str(model / "m.txt")], write=[str(out)]) as child:
        assert child.call(confined_probe.keep, "a") == 1
        assert child.call(confined_probe.keep, "b") == 2
        with pytest.raises(ConvertError, match="boom"):  # a typed error, raised here as is
            child.call(confined_probe.fail)
        assert child.call(confined_probe.kept) == ["a", "b"]  # survived the failed call
        got = child.call(confined_probe.probe, str(model / "m.txt"), str(tmp_path), str(out))
        assert got == {"source": "weights", "secret": "refused", "sibling": "refused",
                       "write_outside": "refused", "write_inside": "ok", "network": "refused"}
        # A function whose module the confined process may not read: one line, no hang.
        start = time.monotonic()
        with pytest.raises(ConfinementError, match="elsewhere_probe"):
            child.call(_not_importable_there())
        assert time.monotonic() - start < 10
        assert child.call(confined_probe.kept) == ["a", "b"]
    assert not child.alive
    with pytest.raises(ConfinementError, match="has ended"):
        child.call(confined_probe.kept)


def test_cancel_ends_the_process(tmp_path):
    child = ConfinedProcess(write=[str(tmp_path)])
    progress = Progress()
    threading.Timer(1.0, progress.cancel).start()
    with pytest.raises(Cancelled):
        child.call(confined_probe.wait_forever, progress=progress)
    assert not child.alive
    with pytest.raises(ConfinementError, match="has ended"):
        child.call(confined_probe.kept)


def _not_importable_there():
    """A function from a module outside the process's reads, made importable here only."""
    import importlib.util
    import sys
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="probe-elsewhere-"))
    (folder / "elsewhere_probe.py").write_text("def hello():\n    return 'hi'\n")
    spec = importlib.util.spec_from_file_location("elsewhere_probe",
                                                  folder / "elsewhere_probe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["elsewhere_probe"] = module
    sys.path.append(str(folder))
    return module.hello


def test_cancel_while_another_call_has_the_process(tmp_path):
    """A call waiting for the process (the Run page's run behind its warm-up) is cancelled at
    once; the process and the call that has it go on."""
    with ConfinedProcess(write=[str(tmp_path)]) as child:
        child.call(len, "warm")  # started and confined
        busy = threading.Thread(target=child.call, args=(time.sleep, 3))
        busy.start()
        time.sleep(0.3)
        progress = Progress()
        threading.Timer(0.3, progress.cancel).start()
        start = time.monotonic()
        with pytest.raises(Cancelled):
            child.call(confined_probe.kept, progress=progress)
        assert time.monotonic() - start < 1.5
        busy.join()
        assert child.alive and child.call(len, "ab") == 2


def test_a_script_without_a_main_guard_is_not_run_again_in_the_child(tmp_path):
    """A user's script that converts with kinspect and has no `if __name__ == "__main__"`
    guard: multiprocessing would run it again inside the confined child (where it died)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = tmp_path / "convert_things.py"
    script.write_text("from kinspect.safety.confine import run_confined\n"
                      "print('body', flush=True)\n"
                      f"print('result', run_confined(len, 'abcd', write=[{str(tmp_path)!r}],"
                      " warm=('kinspect',)), flush=True)\n")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["body", "result", "4"]
