"""Every `pixelmeans run` command the README's recipe table gives parses and passes the
checks a run makes before reading any data, so a newcomer can copy it as it stands."""

import re
import shlex
from pathlib import Path

import pytest

from pixelmeans.cli import _fit_settings, build_parser
from pixelmeans.config import RunConfig, check_fit_config
from pixelmeans.data import catalog

README = Path(__file__).resolve().parents[2] / "README.md"


def _table_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Which features for which data set", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`(pixelmeans run[^`]*)`", section)


def test_the_table_gives_a_command_for_each_data_set():
    commands = _table_commands()
    assert any("--features" in c and "fashion-mnist" not in c for c in commands)
    assert any("--features" in c and "--dataset fashion-mnist" in c for c in commands)


@pytest.mark.parametrize("command", _table_commands())
def test_a_table_command_is_accepted(command):
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.command == "run"
    config = RunConfig(**_fit_settings(args), k=args.k)
    check_fit_config(config)  # builds the features from --features and --set
    catalog.get(config.dataset)
