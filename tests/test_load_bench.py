"""bench/load.py keeps working: its --smoke run (a few seconds, a few clients, a real server) ends
without a failed request, and its results render into BENCHMARKS.md's marked section."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "load.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_smoke_run_has_no_error_and_renders_its_section(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HERITAGE_"))}
    done = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())
    assert result["errors"] == 0 and result["error_samples"] == [], result["error_samples"]
    assert result["server_log_alarms"]["lines"] == 0, result["server_log_alarms"]
    kinds = result["kinds"]
    assert result["requests"] == sum(k["requests"] for k in kinds.values()) > 0
    assert kinds["write.create"]["requests"] > 0 and kinds["write.update"]["requests"] > 0, kinds
    assert any(k.startswith("read.") for k in kinds), kinds
    assert len(result["memory"]["samples"]) >= 2 and result["memory"]["max_mib"] > 0
    assert "| **all** |" in done.stdout

    load = _module()
    page = tmp_path / "BENCHMARKS.md"
    page.write_text(f"# Benchmarks\n\nkept\n\n{load.BEGIN}\nold\n{load.END}\n\nkept too\n", encoding="utf-8")
    load.update_benchmarks(load.benchmarks_section(result, "bench/results/load-x.json"), page)
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nkept\n\n") and text.endswith("\n\nkept too\n")
    assert "old" not in text and "bench/results/load-x.json" in text and "| `write.create` |" in text
