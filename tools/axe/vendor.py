"""Copy the pinned axe-core (tools/axe/node_modules, from package-lock.json) into tests/browser/vendor/,
with its licence and a manifest of versions and SHA-256 digests that tests/browser checks."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "tests" / "browser" / "vendor"


def main() -> None:
    package = HERE / "node_modules" / "axe-core"
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(package / "axe.min.js", OUT / "axe.min.js")
    shutil.copyfile(package / "LICENSE", OUT / "axe-core.LICENSE")
    digest = hashlib.sha256((OUT / "axe.min.js").read_bytes()).hexdigest()
    manifest = {"axe.min.js": {"package": "axe-core", "version": version, "sha256": digest,
                               "licence": "MPL-2.0 (axe-core.LICENSE)"}}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"axe-core {version} -> {OUT / 'axe.min.js'} ({digest[:12]}…)")


if __name__ == "__main__":
    main()
