"""An in-process approximation of `bash -n` plus "which program runs first" for tool
commands (DIP123, DIP125).

Spawning bash per tool node is far too slow for large workflows, so this scanner walks
the command once: quotes, `$(…)`, backticks, `${…}`, arithmetic, here-documents,
comments, and the pairing of if/fi, do/done, case/esac, `{ }` and `( )`. It reports the
first structural error it finds and, along the way, records each simple command's name in
source order. It is deliberately lenient: anything it does not understand is treated as
an ordinary word, so it errs towards "no error" rather than false alarms.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

#: `${ns.key}` placeholders tracker expands before the shell sees the command
PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)+\}")
DUMMY = "__dip_placeholder__"

_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_OPERATOR_CHARS = set(";&|<>()")
_BLANK = " \t\r"


class ShellSyntaxError(Exception):
    pass


@dataclass
class SimpleCommand:
    name: str  # "" when the command word is not a plain literal
    args: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    error: str = ""
    commands: list[SimpleCommand] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.commands: list[SimpleCommand] = []
        self.functions: set[str] = set()
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, strip_tabs)

    # ------------------------------------------------------------------ helpers

    def fail(self, msg: str) -> None:
        raise ShellSyntaxError(msg)

    def line_of(self, i: int) -> int:
        return self.s.count("\n", 0, i) + 1

    def skip_heredocs(self, i: int) -> int:
        """`i` is just past a newline: consume pending here-document bodies."""
        while self.heredocs:
            delim, strip = self.heredocs.pop(0)
            while True:
                if i >= self.n:
                    return i  # bash only warns about an unterminated here-document
                end = self.s.find("\n", i)
                end = self.n if end < 0 else end
                line = self.s[i:end].rstrip("\r")
                i = end + 1
                if (line.lstrip("\t") if strip else line) == delim:
                    break
        return i

    # ------------------------------------------------------------------ words

    def read_single(self, i: int) -> int:
        """`i` at the opening quote; returns the index after the closing one."""
        j = self.s.find("'", i + 1)
        if j < 0:
            self.fail(f"unterminated single quote (line {self.line_of(i)})")
        return j + 1

    def read_ansi(self, i: int) -> int:
        """`$'…'`; `i` at the quote."""
        j = i + 1
        while j < self.n:
            c = self.s[j]
            if c == "\\":
                j += 2
                continue
            if c == "'":
                return j + 1
            j += 1
        self.fail(f"unterminated $'...' string (line {self.line_of(i)})")
        return j

    def read_double(self, i: int) -> int:
        """`i` at the opening `"`."""
        j = i + 1
        while j < self.n:
            c = self.s[j]
            if c == "\\":
                j += 2
            elif c == '"':
                return j + 1
            elif c == "$":
                j = self.read_dollar(j)
            elif c == "`":
                j = self.read_backtick(j)
            else:
                j += 1
        self.fail(f"unterminated double quote (line {self.line_of(i)})")
        return j

    def read_backtick(self, i: int) -> int:
        j = i + 1
        while j < self.n:
            c = self.s[j]
            if c == "\\":
                j += 2
            elif c == "`":
                inner = _Scanner(self.s[i + 1 : j])
                inner.scan_list(0, None)
                self.commands.extend(inner.commands)
                self.functions |= inner.functions
                return j + 1
            else:
                j += 1
        self.fail(f"unterminated backquote (line {self.line_of(i)})")
        return j

    def read_arith(self, i: int, opener_len: int) -> int:
        """`i` at `$((` or `((`; returns the index after the closing `))`."""
        depth = 0
        j = i + opener_len
        while j < self.n:
            c = self.s[j]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    if j + 1 < self.n and self.s[j + 1] == ")":
                        return j + 2
                    self.fail(f"unbalanced parentheses in arithmetic (line {self.line_of(i)})")
                depth -= 1
            elif c in "'\"":
                j = self.read_single(j) if c == "'" else self.read_double(j)
                continue
            elif c == "$":
                j = self.read_dollar(j)
                continue
            j += 1
        self.fail(f"unterminated arithmetic expression (line {self.line_of(i)})")
        return j

    def read_param(self, i: int) -> int:
        """`i` at `${`."""
        j = i + 2
        while j < self.n:
            c = self.s[j]
            if c == "\\":
                j += 2
            elif c == "}":
                return j + 1
            elif c == "'":
                j = self.read_single(j)
            elif c == '"':
                j = self.read_double(j)
            elif c == "$":
                j = self.read_dollar(j)
            elif c == "`":
                j = self.read_backtick(j)
            else:
                j += 1
        self.fail(f"unterminated ${{...}} expansion (line {self.line_of(i)})")
        return j

    def read_dollar(self, i: int) -> int:
        """`i` at `$`: an expansion, or a plain `$`."""
        nxt = self.s[i + 1 : i + 3]
        if nxt.startswith("(("):
            return self.read_arith(i, 3)
        if nxt.startswith("("):
            return self.scan_list(i + 2, ")")
        if nxt.startswith("{"):
            return self.read_param(i)
        if nxt.startswith("'"):
            return self.read_ansi(i + 1)
        if nxt.startswith('"'):
            return self.read_double(i + 1)
        return i + 1

    def read_word(self, i: int) -> tuple[int, str, bool]:
        """A shell word starting at `i`: (end, text, is_plain_literal)."""
        start = i
        literal = True
        while i < self.n:
            c = self.s[i]
            if c in _BLANK or c == "\n" or c in _OPERATOR_CHARS:
                break
            if c == "\\":
                literal = False
                i += 2
            elif c == "'":
                literal = False
                i = self.read_single(i)
            elif c == '"':
                literal = False
                i = self.read_double(i)
            elif c == "$":
                j = self.read_dollar(i)
                if j != i + 1:
                    literal = False
                i = j
            elif c == "`":
                literal = False
                i = self.read_backtick(i)
            elif c == "=" and self.s[i + 1 : i + 2] == "(" and _ASSIGN.match(self.s[start : i + 1]):
                literal = False
                i = self.read_array(i + 1)
            else:
                i += 1
        return min(i, self.n), self.s[start:i], literal

    def read_array(self, i: int) -> int:
        """`name=(…)`: `i` at the `(`; returns the index after the matching `)`."""
        j = i + 1
        while j < self.n:
            c = self.s[j]
            if c == ")":
                return j + 1
            if c == "\\":
                j += 2
            elif c == "'":
                j = self.read_single(j)
            elif c == '"':
                j = self.read_double(j)
            elif c == "$":
                j = self.read_dollar(j)
            elif c == "`":
                j = self.read_backtick(j)
            else:
                j += 1
        self.fail(f"unterminated array assignment (line {self.line_of(i)})")
        return j

    # ------------------------------------------------------------------ lists

    def scan_list(self, i: int, terminator: str | None) -> int:
        """Scan a command list until `terminator` (")" for `$(…)`/subshells, None for
        EOF); returns the index just past the terminator."""
        stack: list[list[str]] = []  # [closer, state]
        cmd_pos = True
        current: SimpleCommand | None = None
        redirect_target = False
        dbracket = False
        last_was_cmd_word = False
        expect_func_name = False
        pending: str = ""  # a binary operator still waiting for its right-hand command
        s = self.s
        while True:
            if i >= self.n:
                if pending:
                    self.fail(f"missing command after '{pending}' at end of input")
                if terminator is not None:
                    self.fail(f"missing '{terminator}' to close '$(' / '('")
                if stack:
                    self.fail(f"missing '{stack[-1][0]}' before end of command")
                return i
            c = s[i]
            if c in _BLANK:
                i += 1
                continue
            if c == "\\" and s[i + 1 : i + 2] == "\n":
                i += 2
                continue
            if c == "#":
                j = s.find("\n", i)
                i = self.n if j < 0 else j
                continue
            if c == "\n":
                i = self.skip_heredocs(i + 1)
                if dbracket:
                    continue
                if stack and stack[-1][0] == "esac" and stack[-1][1] == "subject":
                    continue
                cmd_pos, current, redirect_target, last_was_cmd_word = True, None, False, False
                continue
            top = stack[-1] if stack else None
            in_patterns = top is not None and top[0] == "esac" and top[1] == "patterns"
            if c in _OPERATOR_CHARS:
                if dbracket:
                    i += 1
                    continue
                if in_patterns:
                    if c == ")":
                        top[1] = "body"  # type: ignore[index]
                        cmd_pos, current = True, None
                    i += 1
                    continue
                op = self.read_operator(i)
                if pending and op in ("&&", "||", "|", "|&", ";", "&", ";;", ")"):
                    self.fail(f"syntax error near unexpected token '{op}' (line {self.line_of(i)})")
                i += len(op)
                if op in ("<<", "<<-"):
                    i = self.read_heredoc_word(i, strip=op == "<<-")
                    continue
                if op in ("<(", ">("):
                    i = self.scan_list(i, ")")
                    continue
                if op[0] in "<>" or op in ("&>", "&>>"):
                    redirect_target = True
                    continue
                if op == "(":
                    if last_was_cmd_word and current is not None:
                        # `name ( )` — a function definition
                        j = i
                        while j < self.n and s[j] in _BLANK:
                            j += 1
                        if j < self.n and s[j] == ")":
                            self.functions.add(current.name)
                            if self.commands and self.commands[-1] is current:
                                self.commands.pop()
                            i = j + 1
                            cmd_pos, current, last_was_cmd_word = True, None, False
                            continue
                    if s[i : i + 1] == "(":
                        i = self.read_arith(i - 1, 2)
                        cmd_pos, last_was_cmd_word = False, False
                        continue
                    if not cmd_pos:
                        self.fail(
                            f"syntax error near unexpected token '(' (line {self.line_of(i)})"
                        )
                    stack.append([")", ""])
                    pending = ""
                    cmd_pos, current, last_was_cmd_word = True, None, False
                    continue
                if op == ")":
                    if top is not None and top[0] == ")":
                        stack.pop()
                        cmd_pos, current, last_was_cmd_word = False, None, False
                        continue
                    if terminator == ")":
                        if stack:
                            self.fail(
                                f"missing '{stack[-1][0]}' before ')' (line {self.line_of(i)})"
                            )
                        return i
                    self.fail(f"syntax error near unexpected token ')' (line {self.line_of(i)})")
                if op in (";;", ";&", ";;&"):
                    if top is None or top[0] != "esac":
                        self.fail(
                            f"syntax error near unexpected token '{op}' (line {self.line_of(i)})"
                        )
                    top[1] = "patterns"
                    cmd_pos, current, last_was_cmd_word = False, None, False
                    continue
                # ; & && || | |&
                if op in ("&&", "||", "|", "|&"):
                    pending = op
                cmd_pos, current, redirect_target, last_was_cmd_word = True, None, False, False
                continue
            # a word
            j, word, literal = self.read_word(i)
            if j == i:  # stray character we do not understand
                i += 1
                continue
            i = j
            pending = ""
            if redirect_target:
                redirect_target = False
                continue
            if dbracket:
                if word == "]]":
                    dbracket = False
                continue
            if in_patterns:
                if word == "esac":
                    stack.pop()
                    cmd_pos, current = False, None
                continue
            if top is not None and top[0] == "esac" and top[1] == "subject":
                if word == "in":
                    top[1] = "patterns"
                continue
            if expect_func_name:
                expect_func_name = False
                self.functions.add(word)
                cmd_pos, current, last_was_cmd_word = True, None, False
                # optional `()` after the name
                k = i
                while k < self.n and s[k] in _BLANK:
                    k += 1
                if s[k : k + 1] == "(":
                    k += 1
                    while k < self.n and s[k] in _BLANK:
                        k += 1
                    if s[k : k + 1] == ")":
                        i = k + 1
                continue
            if cmd_pos:
                if self.keyword(word, stack, i):
                    kw = word
                    cmd_pos = kw not in ("fi", "done", "esac", "}", "for", "select", "case")
                    if kw == "[[":
                        dbracket, cmd_pos = True, False
                    elif kw == "function":
                        expect_func_name, cmd_pos = True, False
                    current, last_was_cmd_word = None, False
                    continue
                if _ASSIGN.match(word):
                    continue
                current = SimpleCommand(word if literal else "")
                self.commands.append(current)
                cmd_pos, last_was_cmd_word = False, True
                continue
            last_was_cmd_word = False
            if current is not None:
                current.args.append(word if literal else "")

    def keyword(self, word: str, stack: list[list[str]], i: int) -> bool:
        """Apply a reserved word at command position; False if `word` is not one."""

        def need(closer: str) -> None:
            if not stack or stack[-1][0] != closer:
                self.fail(f"syntax error near unexpected token '{word}' (line {self.line_of(i)})")

        if word == "if":
            stack.append(["fi", ""])
        elif word in ("then", "elif", "else"):
            need("fi")
        elif word == "fi":
            need("fi")
            stack.pop()
        elif word in ("for", "while", "until", "select"):
            stack.append(["done", ""])
        elif word == "do":
            need("done")
        elif word == "done":
            need("done")
            stack.pop()
        elif word == "case":
            stack.append(["esac", "subject"])
        elif word == "esac":
            need("esac")
            stack.pop()
        elif word == "{":
            stack.append(["}", ""])
        elif word == "}":
            need("}")
            stack.pop()
        elif word in ("!", "time", "[[", "function"):
            pass
        else:
            return False
        return True

    def read_operator(self, i: int) -> str:
        for op in (
            ";;&",
            "<<-",
            "&>>",
            "<<<",
            ";;",
            ";&",
            "&&",
            "||",
            "|&",
            "<<",
            ">>",
            "<&",
            ">&",
            "<>",
            ">|",
            "&>",
            "<(",
            ">(",
        ):
            if self.s.startswith(op, i):
                return op
        return self.s[i]

    def read_heredoc_word(self, i: int, strip: bool) -> int:
        while i < self.n and self.s[i] in _BLANK:
            i += 1
        j, word, _ = self.read_word(i)
        if not word:
            self.fail(f"here-document without a delimiter (line {self.line_of(i)})")
        delim = word.replace("'", "").replace('"', "").replace("\\", "")
        self.heredocs.append((delim, strip))
        return j


@functools.lru_cache(maxsize=2048)
def scan_shell(command: str) -> ScanResult:
    """Scan a tool command; `error` is "" when it looks syntactically sound.
    Cached: DIP123 and DIP125 scan the same commands, and large workflows repeat them."""
    text = PLACEHOLDER.sub(DUMMY, command)
    sc = _Scanner(text)
    try:
        sc.scan_list(0, None)
    except ShellSyntaxError as exc:
        return ScanResult(str(exc), sc.commands, sc.functions)
    except RecursionError:
        return ScanResult("", sc.commands, sc.functions)
    return ScanResult("", sc.commands, sc.functions)


SHELL_BUILTINS = frozenset(
    "echo printf test [ [[ if then else elif fi for while until do done case esac read eval "
    "exec exit return shift trap wait true false source . : local declare set cd export "
    "unset alias break continue getopts readonly times type ulimit umask hash pwd kill "
    "jobs fg bg let typeset command builtin".split()
)
PREAMBLE = frozenset({"mkdir"})


def first_program(command: str) -> str | None:
    """The first external program the command runs, or None when it cannot be known
    (a placeholder, a sourced file, a shell function, or nothing external at all)."""
    res = scan_shell(command)
    for cmd in res.commands:
        name = cmd.name
        if not name:
            continue
        if name in (".", "source"):
            return None
        via_command = False
        if name == "command":
            target = ""
            for arg in cmd.args:
                if not arg:
                    break
                if not arg.startswith("-"):
                    target = arg
                    break
                if "v" in arg or "V" in arg:
                    break
            if not target:
                continue
            name, via_command = target, True
        if name in SHELL_BUILTINS or name in PREAMBLE:
            continue
        if DUMMY in name:
            return None
        if name in res.functions and not via_command:
            return None
        return name
    return None
