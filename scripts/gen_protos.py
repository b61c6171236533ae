"""Generate the Python gRPC stubs from proto/ into libs/kanal/kanal/v1/.

`python scripts/gen_protos.py` rewrites them; `--check` regenerates into a scratch folder and
fails when the committed stubs differ (CI runs it, so stale stubs cannot land).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
PACKAGE_ROOT = ROOT / "libs" / "kanal"
GENERATED = PACKAGE_ROOT / "kanal" / "v1"
SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def generate(out_root: Path) -> Path:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    (out_root / "kanal" / "v1").mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"--python_out={out_root}",
        f"--grpc_python_out={out_root}",
        f"--mypy_out={out_root}",
        f"--mypy_grpc_out={out_root}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    return out_root / "kanal" / "v1"


def generated_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(SUFFIXES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the stubs are stale")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        fresh = generate(Path(scratch))
        names = generated_files(fresh)
        if opts.check:
            stale = [n for n in names if not (GENERATED / n).exists()
                     or not filecmp.cmp(fresh / n, GENERATED / n, shallow=False)]
            extra = sorted(set(generated_files(GENERATED)) - set(names))
            if stale or extra:
                print(f"stale gRPC stubs: {stale + extra}; run python scripts/gen_protos.py")
                return 1
            print(f"gRPC stubs up to date ({len(names)} files)")
            return 0
        for old in generated_files(GENERATED):
            (GENERATED / old).unlink()
        for n in names:
            shutil.copyfile(fresh / n, GENERATED / n)
        print(f"wrote {len(names)} files to {GENERATED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
