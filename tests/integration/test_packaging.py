"""`cmake --install` and the .deb built by CPack hold the binary, the man page, the completions
and the docs in Debian's places, and the package declares its runtime dependencies."""
import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import VAMI

ROOT = Path(__file__).resolve().parents[2]

# Installed files, relative to the prefix, and the committed file each one must equal.
INSTALLED = {
    "bin/vami": None,
    "share/man/man1/vami.1.gz": ROOT / "docs" / "man" / "vami.1",
    "share/bash-completion/completions/vami": ROOT / "completions" / "vami.bash",
    "share/zsh/vendor-completions/_vami": ROOT / "completions" / "_vami",
    "share/fish/vendor_completions.d/vami.fish": ROOT / "completions" / "vami.fish",
    "share/doc/vami/README.md": ROOT / "README.md",
    "share/doc/vami/docs/exit-codes.md": ROOT / "docs" / "exit-codes.md",
    "share/doc/vami/docs/commands.md": ROOT / "docs" / "commands.md",
}


def build_dir():
    """The CMake build folder of the binary under test: $VAMI_BUILD_DIR, else the folder above
    cli/vami."""
    explicit = os.environ.get("VAMI_BUILD_DIR")
    folder = Path(explicit) if explicit else Path(VAMI).resolve().parents[1]
    assert (folder / "CMakeCache.txt").exists(), \
        f"{folder} is not a CMake build folder: set VAMI_BUILD_DIR to the one of {VAMI}"
    return folder


def version():
    # "vami 0.1.0 (abc123)"
    return subprocess.run([VAMI, "--version"], capture_output=True, text=True,
                          check=True).stdout.split()[1]


def read_installed(path):
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def test_cmake_install_puts_every_file_in_its_place(tmp_path):
    prefix = tmp_path / "staging"
    result = subprocess.run(["cmake", "--install", str(build_dir()), "--prefix", str(prefix)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for relative, source in INSTALLED.items():
        installed = prefix / relative
        assert installed.is_file(), relative
        if source is not None:
            assert read_installed(installed) == source.read_bytes(), relative
    assert os.access(prefix / "bin" / "vami", os.X_OK)
    # The guides keep the repository's layout, so README.md's links to docs/... hold.
    guides = sorted(p.name for p in (prefix / "share/doc/vami/docs/guides").glob("*.md"))
    assert guides == sorted(p.name for p in (ROOT / "docs" / "guides").glob("*.md"))
    installed_version = subprocess.run([str(prefix / "bin" / "vami"), "--version"],
                                       capture_output=True, text=True, check=True).stdout
    assert installed_version.startswith(f"vami {version()} (")


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """The .deb, built once for this module by `cpack -G DEB` from the build folder."""
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed")
    out = tmp_path_factory.mktemp("deb")
    folder = build_dir()
    result = subprocess.run(["cpack", "-G", "DEB", "--config", str(folder / "CPackConfig.cmake"),
                             "-B", str(out)], cwd=folder, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    packages = list(out.glob("*.deb"))
    assert len(packages) == 1, result.stdout
    return packages[0]


def control(deb, field):
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_deb_is_named_and_described_as_debian_expects(deb):
    architecture = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                                  text=True, check=True).stdout.strip()
    assert deb.name == f"vami_{version()}_{architecture}.deb"
    assert control(deb, "Package") == "vami"
    assert control(deb, "Version") == version()
    assert control(deb, "Architecture") == architecture
    assert control(deb, "Section") == "admin"
    assert control(deb, "Maintainer")
    assert "phone-agent platform" in control(deb, "Description")


def test_deb_declares_its_runtime_dependencies(deb):
    depends = [d.strip().split()[0] for d in control(deb, "Depends").split(",")]
    for library in ["libcurl4", "libsqlite3-0", "libssl3", "libstdc++6", "libc6", "libmagic1"]:
        assert library in depends, depends


def test_deb_holds_every_installed_file(deb):
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    files = {line.split()[-1].removeprefix("./") for line in listing.splitlines()
             if line.startswith("-")}
    for relative in INSTALLED:
        assert "usr/" + relative in files, relative
    modes = {line.split()[-1]: line.split()[0] for line in listing.splitlines()}
    assert modes["./usr/bin/vami"] == "-rwxr-xr-x"
