"""A decompression bomb: read as a stream up to a cap, refused with the file and the cap named, memory kept low."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sla_model.__main__ import main
from tests.hostile.conftest import checksum

ROOT = Path(__file__).resolve().parents[2]
MEMBER_MB = 64


def _bomb(path: Path, expands_to_gib: int) -> Path:
    """A small gzip file of CSV rows that expands to ``expands_to_gib`` GiB (identical members, as gzip allows)."""
    row = b"L000001,2026-03-01 10:00,Web,Ana Souza\n"
    member = gzip.compress(b"lead_id,created_at,channel,owner\n" + row * ((MEMBER_MB << 20) // len(row)), 9)
    with path.open("wb") as out:
        for _ in range(expands_to_gib * 1024 // MEMBER_MB):
            out.write(member)
    return path


_READER = textwrap.dedent(
    """
    import json, resource, sys
    from sla_model.importing.csvfile import CsvFileError, read_csv

    def vm(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) << 10

    limit = vm("VmSize:") + (1 << 30)  # what the imports reserved, and one GiB more
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    data = open(sys.argv[1], "rb").read()
    try:
        read_csv(data, name="bomb.csv.gz", max_bytes=int(sys.argv[2]))
        message = None
    except CsvFileError as exc:
        message = str(exc)
    print(json.dumps({"message": message, "limit": limit, "peak": vm("VmPeak:")}))
    """
)


def test_a_gzip_bomb_is_refused_under_an_address_space_limit(tmp_path):
    bomb = _bomb(tmp_path / "bomb.csv.gz", 3)
    assert bomb.stat().st_size < 16 << 20  # small on disk, 3 GiB of text inside
    done = subprocess.run(
        [sys.executable, "-c", _READER, str(bomb), str(256 << 20)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["message"] == (
        "bomb.csv.gz: expands to more than 256 MB when decompressed (the limit is 256 MB); "
        "import a smaller file, or from the command line with a higher --max-size"
    )
    assert result["peak"] < result["limit"]


def test_the_command_line_refuses_a_bomb_and_writes_nothing(stored, tmp_path, monkeypatch, capsys):
    bomb = _bomb(tmp_path / "bomb.csv.gz", 1)
    monkeypatch.setenv("DATABASE_URL", str(stored.url))
    before = checksum(stored)
    assert main(["import", "--max-size", "100", str(bomb)]) == 2
    err = capsys.readouterr().err
    assert "bomb.csv.gz: expands to more than 100 MB when decompressed (the limit is 100 MB)" in err
    assert checksum(stored) == before


@pytest.mark.parametrize("size_mb", [1, 5])
def test_a_plain_file_over_the_cap_is_refused_by_what_is_read(stored, tmp_path, monkeypatch, capsys, size_mb):
    path = tmp_path / "big.csv"
    path.write_bytes(b"lead_id,created_at\n" + b"L1,2026-03-01\n" * ((size_mb << 20) // 14 + 1))
    monkeypatch.setenv("DATABASE_URL", str(stored.url))
    before = checksum(stored)
    assert main(["import", "--max-size", str(size_mb), "--dry-run", str(path)]) == 2
    assert f"big.csv: more than {size_mb} MB (the limit is {size_mb} MB)" in capsys.readouterr().err
    assert checksum(stored) == before


_AFTER = textwrap.dedent(
    """
    import gc, json, os, sys
    from sla_model.__main__ import main
    from sla_model.importing.csvfile import release_memory

    def rss():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) << 10

    def settled():
        gc.collect()
        release_memory()
        return rss()

    bomb, small, cap, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if path == "cli":
        main(["import", "--dry-run", small])  # once, so every module and the database are loaded first
        baseline = settled()
        said = main(["import", "--max-size", str(cap), bomb])
    else:  # the Import page, as a manager uploads the file
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file("pages/import_data.py", default_timeout=300)
        at.run()
        at.file_uploader(key="imp_file").set_value(("small.csv", open(small, "rb").read(), "text/csv"))
        at.run()  # once, so every module and the page's state are loaded first
        baseline = settled()
        at.file_uploader(key="imp_file").set_value(("bomb.csv.gz", open(bomb, "rb").read(), "application/gzip"))
        at.run()
        assert not at.exception, at.exception
        said = " ".join(e.value for e in at.error)
    print(json.dumps({"said": said, "baseline": baseline, "after": settled()}))
    """
)
#: What the process may hold after a refused bomb above its baseline: the 256 or 300 MB the bomb was read to must be
#: handed back; a few dozen MB of allocator arenas and caches may stay (measured: under 10 MB), and a buffer the
#: size of the cap (or the 1 GiB expanded text) kept alive would exceed this.
RSS_SLACK = 150 << 20


@pytest.mark.parametrize("path", ["cli", "page"])
def test_memory_is_handed_back_after_a_refused_bomb(tmp_path, path):
    """Before a refusal freed its buffer, the process held the cap's worth (256 MB here) after it."""
    bomb = _bomb(tmp_path / "bomb.csv.gz", 1)
    small = tmp_path / "small.csv"
    small.write_text("lead_id,created_at,channel,owner\nL1,2026-03-01 10:00,Web,Ana Souza\n")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bomb.db'}", "SMARKETING_SAMPLE_DATA": "0"}
    done = subprocess.run(
        [sys.executable, "-c", _AFTER, str(bomb), str(small), "256", path],
        capture_output=True, text=True, cwd=ROOT, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    if path == "cli":
        assert result["said"] == 2
    said = done.stderr if path == "cli" else result["said"].replace("\\", "")  # (the page escapes markdown)
    cap = "256 MB" if path == "cli" else "300 MB"  # the command line's --max-size; the page's upload limit
    assert f"bomb.csv.gz: expands to more than {cap} when decompressed" in said
    assert result["after"] < result["baseline"] + RSS_SLACK, (result["baseline"] >> 20, result["after"] >> 20)
