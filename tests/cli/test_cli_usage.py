"""Usage mistakes are Typer's to report: the usage and the problem, exit 2 — never a "bug".

Typer may use click or its own vendored copy of it, whose exceptions are different
classes; these tests go through the real entry point over many commands so that a
dependency upgrade that changes which exceptions are raised cannot bring back the
"Unexpected error … This is a bug" answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from houselights.cli.main import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory of the test's own (usage errors stop before any database)."""
    monkeypatch.setenv("HOUSELIGHTS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOUSELIGHTS_DATABASE_URL", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


USAGE_MISTAKES = [
    # (arguments, what the message names)
    (["runs", "list"], "Missing argument"),
    (["org", "show"], "Missing argument"),
    (["upload", "riverside-arts"], "Missing argument"),
    (["grant", "add", "riverside-arts"], "Missing argument"),
    (["runs", "list", "riverside-arts", "--bogus"], "No such option"),
    (["org", "list", "--colour"], "No such option"),
    (["--no-such-global", "org", "list"], "No such option"),
    (["runs", "list", "riverside-arts", "--format", "bogus"], "'bogus' is not one of"),
    (["org", "list", "-f", "yaml"], "'yaml' is not one of"),
    (["quarantine", "list", "riverside-arts", "--limit", "many"], "--limit"),
    (["no-such-command"], "No such command"),
    (["runs", "explode"], "No such command"),
    (["checks", "list", "extra-argument"], "unexpected extra argument"),
]


@pytest.mark.parametrize(
    ("args", "names"), USAGE_MISTAKES, ids=[" ".join(a) for a, _ in USAGE_MISTAKES]
)
def test_usage_mistakes_exit_2_with_the_usage(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], names: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2, (code, out, err)
    text = " ".join((out + err).split())  # the error panel wraps long lines
    assert "Usage: houselights" in text
    assert names in text
    assert "This is a bug" not in text and "Unexpected error" not in text
    assert "Traceback" not in text


def test_a_group_without_a_command_shows_its_help(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "runs")
    assert code == 2
    assert "list" in out + err and "This is a bug" not in out + err


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "Usage: houselights" in out
    code, out, _ = run(capsys, "runs", "list", "--help")
    assert code == 0 and "newest first" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("houselights ")


def test_a_real_bug_is_still_reported_as_one(
    hl_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from houselights.services import exchange

    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("[bold]boom[/]\x1b[2J")

    monkeypatch.setattr(exchange, "list_runs", broken)
    run(capsys, "org", "add", "riverside-arts", "--name", "Riverside")
    code, _, err = run(capsys, "runs", "list", "riverside-arts")
    assert code == 70
    assert "This is a bug" in err and "ZeroDivisionError" in err
    assert "[bold]boom[/]" in err and "\x1b" not in err  # shown as text, escapes stripped
