"""A decompression bomb: read as a stream up to a cap, refused with the file and the cap named, memory kept low."""

from __future__ import annotations

import gzip
import json
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
