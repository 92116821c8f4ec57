"""Shared fixtures: the `hhsim` binary for comparisons with the command line, and the backend
the tests run on (the GPU, required when HHSIM_REQUIRE_GPU=1, as for the Rust tests)."""

import os
import subprocess
from pathlib import Path

import pytest

import hhsim

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def backend() -> str:
    if os.environ.get("HHSIM_REQUIRE_GPU") == "1":
        return "gpu"
    return "gpu" if hhsim.devices() else "cpu"


@pytest.fixture(scope="session")
def cli():
    """Runs `hhsim ARGS`; the binary is $HHSIM_BIN or the workspace's debug build."""
    binary = Path(os.environ.get("HHSIM_BIN", ROOT / "target" / "debug" / "hhsim"))
    if not binary.exists():
        pytest.fail(f"no hhsim binary at {binary}: run `cargo build` or set HHSIM_BIN")

    def run(*args: str) -> None:
        done = subprocess.run([str(binary), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    return run
