"""hhsim: Hodgkin–Huxley neurons and networks on any GPU through wgpu, validated against a CPU
reference, with NumPy results.

    import hhsim
    r = hhsim.neuron(model="traub", current=[0.0, 10.0, 20.0], duration=200.0)
    s = hhsim.sweep()                       # the published 300 × 300 gNa × I job
    n = hhsim.cobahh(scale=1.0)             # the COBA-HH benchmark network

Every call takes the command line's options as keywords (``record_every`` for
``--record-every``) in the CLI's units, runs with the GIL released on the process's one GPU
device, and raises ValueError for bad input with the CLI's message.
"""

import atexit as _atexit
import os as _os
import shutil as _shutil
import tempfile as _tempfile

# Mesa's drivers warn on every device they open without a private runtime directory.
if "XDG_RUNTIME_DIR" not in _os.environ:
    _os.environ["XDG_RUNTIME_DIR"] = _tempfile.mkdtemp(prefix="hhsim-runtime-")
    _atexit.register(_shutil.rmtree, _os.environ["XDG_RUNTIME_DIR"], True)

from . import plot
from ._api import (
    Network,
    NetworkResult,
    NetworkTrace,
    NeuronResult,
    Spikes,
    SweepResult,
    ValidationReport,
    cobahh,
    devices,
    neuron,
    sweep,
    validate,
)
from ._hhsim import __version__

__all__ = [
    "Network",
    "NetworkResult",
    "NetworkTrace",
    "NeuronResult",
    "Spikes",
    "SweepResult",
    "ValidationReport",
    "__version__",
    "cobahh",
    "devices",
    "neuron",
    "plot",
    "sweep",
    "validate",
]
