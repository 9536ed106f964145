"""The README's and the docs' promises stay true: the opening commands, the fault matrix,
every Python snippet runs as written, and the CLI reference covers every option."""

from __future__ import annotations

import argparse
import ast
import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from asset_client.cli.main import build_parser
from asset_client.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig, run_sandbox

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = sorted((ROOT / "docs").rglob("*.md"))
FAULTS = (ROOT / "docs" / "faults.md").read_text()
TEST_REF = r"`(test_\w+\.py)::(test_\w+)`"


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


def test_ci_builds_the_docs_strictly() -> None:
    assert "mkdocs build --strict" in (ROOT / ".ci" / "run").read_text()


def _test_names(file_name: str) -> set[str]:
    tree = ast.parse(next((ROOT / "tests").rglob(file_name)).read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_every_test_the_fault_matrix_names_exists() -> None:
    assert len(re.findall(TEST_REF, FAULTS)) >= 30
    # Wherever a test is named (the matrix, other pages, the README), it exists.
    for text in [README, *(page.read_text() for page in DOCS)]:
        for file_name, test_name in re.findall(TEST_REF, text):
            assert test_name in _test_names(file_name), f"{file_name}::{test_name} is missing"


def test_the_cli_reference_names_every_export_option() -> None:
    reference = (ROOT / "docs" / "cli.md").read_text()
    parser = build_parser()
    [subcommands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name in ("export", "sandbox"):
        for action in subcommands.choices[name]._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in reference, f"{name} {option} is not in docs/cli.md"


def _python_blocks() -> list[tuple[str, str]]:
    blocks = []
    for path in [ROOT / "README.md", *DOCS]:
        found = re.findall(r"```python[^\n]*\n(.*?)```", path.read_text(), re.S)
        for number, code in enumerate(found, 1):
            if "--8<--" not in code:  # included examples run in test_examples
                blocks.append((f"{path.relative_to(ROOT)}#{number}", code))
    return blocks


@pytest.mark.parametrize(("where", "code"), _python_blocks(), ids=[w for w, _ in _python_blocks()])
async def test_every_python_snippet_runs_as_written(where: str, code: str, tmp_path: Path) -> None:
    # Snippets that read the environment find a running sandbox there.
    async with run_sandbox(SandboxConfig(invitees=50)) as sandbox:
        env = {
            **os.environ,
            "COINW_API_KEY": DEMO_API_KEY,
            "COINW_SECRET_KEY": DEMO_SECRET_KEY,
            "ASSET_CLIENT_BASE_URL": sandbox.base_url,
        }
        script = tmp_path / "snippet.py"
        script.write_text(code)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, f"{where}:\n{err.decode()}"
