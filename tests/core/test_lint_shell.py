"""The in-process shell scanner behind DIP123 (syntax) and DIP125 (first program)."""

from __future__ import annotations

import pytest
from tracker.lint.rules.shellscan import first_program, scan_shell

VALID = [
    "if true; then echo; elif false; then :; else echo; fi",
    "for i in 1 2; do echo $i; done",
    "case $x in a|b) echo a;; *) echo b;; esac",
    "case $x in\n  (a) echo\nesac",
    "f() { echo; }; f",
    'arr=(a b "c d"); echo ${arr[@]}',
    "[[ -f a && -f b ]] && echo ok",
    'cat <<EOF\nhello "unbalanced\nEOF\necho done',
    "cat <<-EOF\n\tx\n\tEOF\necho",
    'echo "$(echo ")")"',
    'echo ${x:-"a b"}',
    "for ((i=0;i<3;i++)); do echo $i; done",
    "diff <(ls a) <(ls b)",
    'echo # a comment with a stray quote "',
    "pytest 2>&1 | tee out.log",
    "echo a\\\nb",
]

INVALID = [
    'echo "unclosed',
    "echo 'unclosed",
    "echo $(ls",
    "echo `ls",
    "if true; then echo",
    "for i in 1 2; do echo",
    "case $x in a) echo",
    "{ echo;",
    "(cd x",
    "echo )",
    "fi",
    "done",
    "a && || b",
    "echo a |",
    "echo ${x",
]


@pytest.mark.parametrize("command", VALID)
def test_valid_commands_pass(command: str) -> None:
    assert scan_shell(command).error == ""


@pytest.mark.parametrize("command", INVALID)
def test_invalid_commands_are_reported(command: str) -> None:
    assert scan_shell(command).error


@pytest.mark.parametrize(
    ("command", "program"),
    [
        ("npx foo", "npx"),
        ("cd x && npx foo", "npx"),
        ("mkdir -p a && make", "make"),
        ("X=1 Y=2 go test ./...", "go"),
        ("command -v jq && jq .", "jq"),
        ("command jq .", "jq"),
        ("set -e\nif [ -f x ]; then pytest; fi", "pytest"),
        ("VAR=$(git rev-parse HEAD)", "git"),
        (". ./env.sh; foo", None),
        ("f() { echo; }; f", None),
        ("${params.tool} run", None),
        ("echo only builtins", None),
    ],
)
def test_first_program(command: str, program: str | None) -> None:
    assert first_program(command) == program
