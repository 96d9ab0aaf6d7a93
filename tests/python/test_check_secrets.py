"""The secret scan of `make lint` finds AWS keys and private keys, and never prints them.

The fake credentials are assembled at run time, so this file itself stays clean.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_secrets.py"


def load_scanner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_secrets", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_secrets"] = module
    spec.loader.exec_module(module)
    return module


check_secrets = load_scanner()

KEY_ID = "AKIA" + "Q7" * 8
SECRET = "wJalr" + "XUtnFEMI" * 4 + "K7M"  # 40 characters, shaped like a real secret key
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"aws_access_key_id = {KEY_ID}\n", "AWS access key id"),
        (f'export AWS_SECRET_ACCESS_KEY="{SECRET}"\n', "AWS secret access key"),
        (f'{{"SecretAccessKey": "{SECRET}"}}\n', "AWS secret access key"),
        (f"{PEM}\nMIIEow...\n", "private key"),
    ],
)
def test_a_planted_credential_is_found_and_not_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, kind: str
) -> None:
    path = tmp_path / "settings.env"
    path.write_text("# harmless first line\n" + text)

    assert check_secrets.main([str(path)]) == 1

    out, err = capsys.readouterr()
    assert f":2: {kind}" in out
    assert KEY_ID not in out + err
    assert SECRET not in out + err


def test_documentation_examples_and_look_alikes_pass(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(
        # AWS's own documentation example, split so that no other scanner flags this file
        "aws_access_key_id = AKIA" + "IOSFODNN7EXAMPLE\n"
        f"key = {KEY_ID}X\n"  # 21 characters: not an access key id
        "secret_key = short-and-not-a-key\n"
    )
    assert check_secrets.main([str(path)]) == 0


def test_binary_files_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1\0" + KEY_ID.encode())
    assert check_secrets.main([str(path)]) == 0


def test_the_repository_is_clean() -> None:
    assert check_secrets.main([]) == 0
