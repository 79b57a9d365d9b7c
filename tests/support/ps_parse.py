#!/usr/bin/env python3
"""Parses PowerShell with tree-sitter's PowerShell grammar, for assume-role's
tests (PowerShell itself cannot be installed where they run).

    ps_parse.py check FILE...
        Parses each file; prints `FILE:LINE:COL: ERROR|MISSING <text>` for
        every error or missing node and exits 1 if there was any.

    ps_parse.py assignments FILE
        Parses FILE (it must parse clean) and prints, as JSON, a list of
        [NAME, VALUE] for each top-level statement `$env:NAME = '...'` or
        `$global:NAME = '...'`, with VALUE the string the single-quoted
        literal denotes. Any other statement is listed as [null, TEXT].
        A right-hand side that is not one verbatim (single-quoted) string
        literal is an error, and so is a literal that PowerShell's lexer
        would end early.

What PowerShell's lexer does with a verbatim string, and the grammar does
not know: the four typographic single quotes U+2018-U+201B open, close and
escape it exactly as ' does. So the decoding below applies that rule itself:
a quote character followed by a quote character stands for the second one;
a quote character followed by anything else ends the string.
"""

import json
import sys

import tree_sitter
import tree_sitter_powershell

QUOTES = "'\u2018\u2019\u201a\u201b"
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def parse(data):
    return PARSER.parse(data)


def problems(tree):
    found = []

    def walk(node):
        if node.is_error or node.is_missing:
            kind = "ERROR" if node.is_error else "MISSING"
            row, col = node.start_point
            text = node.text.decode("utf-8", "replace")[:60]
            found.append(f"{row + 1}:{col + 1}: {kind} {node.type} {text!r}")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return found


def decode_verbatim(text):
    """The value of a single-quoted PowerShell literal, by the lexer's rule."""
    if len(text) < 2 or text[0] not in QUOTES or text[-1] not in QUOTES:
        raise ValueError(f"not a single-quoted literal: {text!r}")
    out = []
    i = 1
    while i < len(text):
        c = text[i]
        if c in QUOTES:
            if i + 1 < len(text) and text[i + 1] in QUOTES:
                out.append(text[i + 1])
                i += 2
                continue
            if i != len(text) - 1:
                raise ValueError(f"the literal ends early, at character {i}: {text!r}")
            return "".join(out)
        out.append(c)
        i += 1
    raise ValueError(f"unterminated literal: {text!r}")


def only_child_chain(node, wanted):
    """Follows single-child nodes down from `node` to one of type `wanted`."""
    while node.type != wanted:
        named = [c for c in node.children if c.is_named]
        if len(named) != 1 or len(node.children) != 1:
            return None
        node = named[0]
    return node


def assignments(path):
    data = open(path, "rb").read()
    tree = parse(data)
    bad = problems(tree)
    if bad:
        raise ValueError(f"{path} does not parse: {bad[:5]}")
    result = []

    def statements(node):
        for child in node.children:
            if child.type == "statement_list":
                yield from statements(child)
            elif child.is_named and child.text != b";":
                yield child

    for statement in statements(tree.root_node):
        assignment = only_child_chain(statement, "assignment_expression")
        if assignment is None:
            result.append([None, statement.text.decode()])
            continue
        parts = [c for c in assignment.children if c.is_named]
        left, right = parts[0], parts[-1]
        variable = only_child_chain(left, "variable")
        literal = only_child_chain(right, "string_literal")
        if variable is None or literal is None:
            raise ValueError(f"not `$scope:NAME = '...'`: {assignment.text.decode()!r}")
        name = variable.text.decode()
        for scope in ("$env:", "$global:"):
            if name.startswith(scope):
                name = name[len(scope):]
                break
        else:
            raise ValueError(f"not an $env: or $global: variable: {name!r}")
        if [c.type for c in literal.children] != ["verbatim_string_characters"]:
            raise ValueError(f"not a verbatim string: {literal.text.decode()!r}")
        result.append([name, decode_verbatim(literal.text.decode())])
    return result


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        failed = False
        for path in argv[1:]:
            for problem in problems(parse(open(path, "rb").read())):
                print(f"{path}:{problem}")
                failed = True
        return 1 if failed else 0
    if len(argv) == 2 and argv[0] == "assignments":
        try:
            print(json.dumps(assignments(argv[1])))
        except ValueError as e:
            print(f"ps_parse.py: {e}", file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
