"""The wheels a borrowed GPU machine needs to run `benchmarks/gpu_check.sh`, downloaded here.

    python benchmarks/device/wheels.py [--python-version 3.12] [--dest .whl] [--max-mib 64]

The GPU machine's image has no network and lacks part of what `kedro run` imports. This walks
the installed dependency graph from what the pipeline imports at run time (`ROOTS`: Kedro,
kedro-datasets' entries, kedro-mlflow, MLflow, pandera, pydantic, …), with the versions of
this project's own environment (the ones the tests ran with), leaves out what the image
already holds (`image_packages.txt`), and downloads the rest as wheels for that Python
(`pip download --no-deps --only-binary=:all:`, manylinux x86-64). It fails when they exceed
`--max-mib` (what a device call may carry). `--python-version 3.11` makes the set for the CPU
rehearsal (`benchmarks/device/rehearse.sh`).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# What `kedro run --env gpu` imports beyond the image (with the extras the project uses).
ROOTS = {
    "kedro": set(),
    "kedro-datasets": {"pandas-parquetdataset", "pandas-csvdataset", "json-jsondataset"},
    "kedro-mlflow": set(),
    "mlflow": set(),
    "pandera": {"pandas"},
    "pydantic": set(),
    "omegaconf": set(),
}
# What the project imports that the image provides (the CPU rehearsal installs these).
IMAGE_ROOTS = {
    name: set()
    for name in (
        "transformers",
        "tokenizers",
        "safetensors",
        "peft",
        "pandas",
        "pyarrow",
        "numpy",
        "scikit-learn",
        "onnx",
        "onnxruntime",
        "matplotlib",
        "tqdm",
    )
}
NOT_WALKED = {"torch"}  # present on both sides, with its own (CUDA or CPU) dependencies
PLATFORMS = [
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
]


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def image_packages() -> set[str]:
    text = (HERE / "image_packages.txt").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return {normalize(name) for name in " ".join(lines).split()}


def _requirements(name: str, extras: set[str]) -> list[tuple[str, set[str]]]:
    """(name, extras) of what the installed `name` requires for `extras` on this platform."""
    from packaging.requirements import Requirement

    found = []
    for line in md.distribution(name).requires or []:
        requirement = Requirement(line)
        marker = requirement.marker
        environments = [{"extra": e} for e in (extras or {""})]
        if marker is None or any(marker.evaluate(env) for env in environments):
            found.append((requirement.name, set(requirement.extras)))
    return found


def closure(roots: dict[str, set[str]], skip: set[str]) -> dict[str, str]:
    """Installed distributions reachable from `roots`, not in `skip`: name → version."""
    pending, seen, pins = list(roots.items()), set(), {}
    while pending:
        name, extras = pending.pop()
        key = (normalize(name), frozenset(extras))
        if key in seen or normalize(name) in skip:
            continue
        seen.add(key)
        pins[normalize(name)] = md.version(name)
        pending += _requirements(name, extras)
    return pins


def download(pins: dict[str, str], dest: Path, python_version: str) -> None:
    """Binary wheels for that Python; a package published only as source (antlr4's runtime,
    which OmegaConf pins) is built here into a wheel, accepted only when pure Python."""
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    binary = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    binary += ["--only-binary=:all:", "--python-version", python_version]
    binary += ["--implementation", "cp", *platforms, "-d", str(dest)]
    for name, version in sorted(pins.items()):
        spec = f"{name}=={version}"
        if subprocess.run([*binary, spec], capture_output=True).returncode == 0:
            continue
        build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest)]
        subprocess.run([*build, spec], check=True)
        built = sorted(dest.glob(f"{normalize(name).replace('-', '_')}-{version}-*.whl"))
        if not built or not built[0].name.endswith("-py3-none-any.whl"):
            sys.exit(f"{spec}: no wheel for Python {python_version}, and not pure Python")


def image_pins() -> list[str]:
    """`name==version` of the image's packages that the project uses at run time (torch
    aside), at this environment's versions: what the CPU rehearsal's stand-in image holds."""
    image = image_packages()
    walked = closure({**ROOTS, **IMAGE_ROOTS}, NOT_WALKED)
    return [f"{n}=={v}" for n, v in sorted(walked.items()) if n in image]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--image-pins", action="store_true", help="print the rehearsal's pins")
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--dest", default=".whl")
    parser.add_argument("--max-mib", type=float, default=64.0)
    args = parser.parse_args()
    if args.image_pins:
        print(" ".join(image_pins()))
        return
    dest = Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.whl"):
        old.unlink()
    pins = closure(ROOTS, image_packages() | NOT_WALKED)
    download(pins, dest, args.python_version)
    wheels = sorted(dest.glob("*.whl"))
    mib = sum(w.stat().st_size for w in wheels) / 2**20
    (dest / "MANIFEST.txt").write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    print(f"{len(wheels)} wheels, {mib:.1f} MiB in {dest} (Python {args.python_version})")
    if mib > args.max_mib:
        sys.exit(f"the wheels are {mib:.1f} MiB, over --max-mib {args.max_mib}")


if __name__ == "__main__":
    main()
