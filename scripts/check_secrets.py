"""Secret scan for `make lint`: no AWS credential or private key may enter the repository.

Scans every file git tracks plus new files not yet ignored (so a key is caught before its first
commit), or the paths given on the command line. Prints one line per finding (file, line, kind;
never the secret itself) and exits 1 if there is any.

Looked for: AWS access key ids (AKIA/ASIA/... + 16 characters), AWS secret access keys and
session tokens assigned to a name that says so, and PEM private keys. AWS's documentation
examples (ids ending in EXAMPLE) are allowed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PATTERNS: dict[str, re.Pattern[str]] = {
    "AWS access key id": re.compile(
        r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"
    ),
    "AWS secret access key": re.compile(
        r"(?i)secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?"  # a name that says so, then
        r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"  # exactly 40 key characters
    ),
    "AWS session token": re.compile(
        r"(?i)session_?token[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{100,}"
    ),
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
}
ALLOWED = re.compile(r"EXAMPLE")
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind} (value not shown)"


def scan_text(path: str, text: str) -> Iterator[Finding]:
    """Findings in one file's text, line by line."""
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in PATTERNS.items():
            for match in pattern.finditer(line):
                if not ALLOWED.search(match.group(0)):
                    yield Finding(path, number, kind)


def read_text(path: Path) -> str | None:
    """The file as text, or None for binaries, large files and files that are gone."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def repository_files(root: Path) -> list[Path]:
    """Tracked files and untracked ones git does not ignore."""
    output = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return [root / name for name in output.decode().split("\0") if name]


def scan(paths: Iterable[Path], root: Path) -> list[Finding]:
    findings: list[Finding] = []
    for path in paths:
        text = read_text(path)
        if text is None:
            continue
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        findings.extend(scan_text(str(shown), text))
    return findings


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a).resolve() for a in args] if args else repository_files(ROOT)
    findings = scan(paths, ROOT)
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"secret scan: {len(findings)} finding(s); remove them (credentials come only from "
            "the standard AWS chain) and rotate any real key that was committed",
            file=sys.stderr,
        )
        return 1
    print(f"secret scan: {len(paths)} file(s), no AWS key or private key found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
