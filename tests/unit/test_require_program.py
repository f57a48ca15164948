"""Tests that need a program the machine lacks skip with the install line, except under CI=true."""

from __future__ import annotations

import pytest

from tests.conftest import require_program


def test_a_missing_program_skips_with_its_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y nothing-here"):
        require_program("/usr/bin/newsmill-no-such-program", "apt-get install -y nothing-here")


def test_under_ci_a_missing_program_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not installed here"):
        require_program("newsmill-no-such-program", "apt-get install -y nothing-here")


def test_a_present_program_passes() -> None:
    require_program("sh", "apt-get install -y dash")
