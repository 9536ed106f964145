"""The README's promises stay true: its opening commands and its fault matrix."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_exactly_the_two_setup_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block is not None and README.index("```sh") < README.index("\n## ")
    commands = block.group(1).strip().splitlines()
    assert len(commands) == 2
    assert "asset-client export --sandbox" in commands[0]
    assert commands[1].endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block is not None
    test_command = block.group(1).strip().splitlines()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_every_test_the_fault_matrix_names_exists() -> None:
    matrix = README[README.index("## What can go wrong") : README.index("## Development")]
    references = re.findall(r"`(test_\w+\.py)::(test_\w+)`", matrix)
    assert len(references) >= 30
    for file_name, test_name in references:
        tree = ast.parse((ROOT / "tests" / file_name).read_text())
        names = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        assert test_name in names, f"{file_name}::{test_name} is named in README but missing"
