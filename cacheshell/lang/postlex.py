"""Turn the raw token stream into the tokens the LALR grammar expects.

ObjectScript's spaces carry meaning that a context-free lexer cannot see: one space opens a
command's arguments, two spaces end an argumentless command, and inside arguments a space is
free around operators but ends the argument list before the next command. Command words are not
reserved, so a NAME is a command keyword only where a command may start. This pass knows where it
is on the line and rewrites the stream accordingly.
"""

from __future__ import annotations

from cacheshell.lang.nodes import Token
from cacheshell.lang.words import (
    BARE_BLOCK_TOKENS,
    BLOCK_AFTER_ARGS_TOKENS,
    COMMAND_TOKENS,
    CONTINUATIONS,
)

BINOPS = frozenset(
    "PLUS MINUS STAR SLASH BACKSLASH HASH POW UNDERSCORE EQ LT GT LE GE NEQ NLT NGT CONTAINS "
    "NCONTAINS FOLLOWS NFOLLOWS SORTSAFTER NSORTSAFTER AND OR ANDAND OROR NAND NOR".split()
)
# A space after one of these cannot end the arguments: an operand must follow.
_OPEN_BEFORE = BINOPS | {"NOT", "_COMMA", "_LPAR", "TEXT_FN", "_COLON", "_DOT", "_AT", "ARGSTART"}
# A space before one of these cannot end the arguments: they continue the expression.
_CONTINUES = BINOPS | {"PATTERN", "_COMMA", "_RPAR", "_COLON", "_LBRACE"}
# Tokens that open a parenthesis: ( and $TEXT(, which holds its own.
_OPENS_PAREN = {"_LPAR", "TEXT_FN"}
_LINE_END = {"_NL", "$END", "COMMENT", "_RBRACE"}
# Write arguments may be format controls: ! new line, # form feed, ?n tab.
_WRITE_FORMATS = {"OR": "FMT_NL", "HASH": "FMT_FF", "QMARK": "FMT_TAB"}
# Where one of these was the last token an operand must follow, so { or [ opens a JSON value.
_OPERAND_EXPECTED = (_OPEN_BEFORE - {"_DOT", "_AT"}) | {"JLBRACE", "JLBRACK"}
# The closing tokens of open JSON brackets: ]] closes two arrays.
_JSON_CLOSERS = {
    "_RBRACE": ["JLBRACE"],
    "FOLLOWS": ["JLBRACK"],
    "SORTSAFTER": ["JLBRACK", "JLBRACK"],
}
# Inside arguments, the tokens that are not simply kept as they come: every other one is kept and
# ends a Write format's place (cheap to skip, they are most tokens).
_NOTABLE_IN_ARGS = frozenset(
    ["CONTAINS", "_LBRACE", "WS", "CWS", "_NL", "COMMENT", *_JSON_CLOSERS, *_OPENS_PAREN]
    + ["_RPAR", "_COMMA", *_WRITE_FORMATS]
)

# Terminals no rule names that the lexer must still make: this pass reads or converts them.
KEPT_TERMINALS = ("WS", "_NL", "COMMENT", "BLOCK_COMMENT", "NAME", "QMARK")


def rewrite(stream: list[Token]) -> list[Token]:
    """The lexer's tokens as the grammar reads them. Besides the grammar's tokens this pass may
    emit GLUED_COMMENT and MISPLACED_COMMENT, which no rule accepts, so the parser reports
    <SYNTAX> where they stand. Tokens of the same text under another type are the stream's own,
    retyped in place: the stream is the lexer's, made for this pass alone."""
    kinds = [tok.type for tok in stream]
    if "COMMENT" in kinds or "BLOCK_COMMENT" in kinds:
        stream = _comments(stream)
        kinds = [tok.type for tok in stream]
    return _Rewriter(stream, kinds).run()


def _comments(stream: list[Token]) -> list[Token]:
    """Comments in the raw stream: a /* */ becomes white space (CWS, never the one space before
    arguments), and a ; or // comment glued to code is marked, as it needs a blank before it."""
    raw: list[Token] = []
    for tok in stream:
        kind = tok.type
        if kind == "BLOCK_COMMENT":
            if raw and raw[-1].type in ("WS", "CWS"):
                tok = Token.new_borrow_pos("CWS", raw.pop() + " ", tok)
            else:
                tok = Token.new_borrow_pos("CWS", " ", tok)
        elif kind == "WS" and raw and raw[-1].type == "CWS":
            tok = Token.new_borrow_pos("CWS", raw.pop() + tok, tok)
        elif kind == "COMMENT" and raw and raw[-1].type not in ("WS", "CWS", "_NL"):
            tok.type = "GLUED_COMMENT"
        raw.append(tok)
    return raw


class _Rewriter:
    def __init__(self, tokens: list[Token], kinds: list[str]) -> None:
        self.toks = tokens
        self.kinds = kinds  # each token's type as the lexer made it
        self.out: list[Token] = []
        self.braces: list[str] = []  # the command keyword that opened each open brace
        self.closed_by: str | None = None  # opener of the brace that just closed

    def peek_type(self, i: int) -> str:
        return self.kinds[i] if i < len(self.kinds) else "$END"

    def run(self) -> list[Token]:
        i, n = 0, len(self.toks)
        while i < n:
            i = self.command(i)
        return self.out

    # -- command position ------------------------------------------------------------------
    def command(self, i: int) -> int:
        tok = self.toks[i]
        kind = tok.type
        if kind in ("WS", "CWS", "COMMENT"):
            return i + 1
        if kind == "_RBRACE":
            self.out.append(tok)
            self.closed_by = self.braces.pop() if self.braces else None
            return self.after_close(i + 1)
        if kind == "_LBRACE":
            self.open_brace(tok, None)
            return i + 1
        self.closed_by = None
        if kind != "NAME":
            self.out.append(tok)  # not a command: the parser reports <SYNTAX>
            return i + 1
        tok.type = COMMAND_TOKENS.get(tok.upper(), "NAME")
        self.out.append(tok)
        return self.after_keyword(i + 1, tok)

    def after_close(self, i: int) -> int:
        """After `}`: let ElseIf/Else/While/Catch continue the construct, even on a later line."""
        follow = CONTINUATIONS.get(self.closed_by or "")
        if not follow:
            return i
        j = i
        while self.peek_type(j) in ("WS", "CWS", "_NL", "COMMENT"):
            j += 1
        if self.peek_type(j) == "NAME" and self.toks[j].upper() in follow:
            keyword = self.toks[j]
            keyword.type = follow[keyword.upper()]
            self.out.append(keyword)
            return self.after_keyword(j + 1, keyword)
        return i

    def open_brace(self, tok: Token, opener: str | None) -> None:
        self.out.append(tok)
        self.braces.append(opener or "")

    # -- after a command keyword: postconditional, then one space and arguments or none ------
    def after_keyword(self, i: int, keyword: Token) -> int:
        if self.peek_type(i) == "_COLON":
            self.out.append(self.toks[i])
            i = self.postconditional(i + 1)
        kind = self.peek_type(i)
        if kind in ("WS", "CWS"):
            follows = self.peek_type(i + 1)
            brace_opens_block = follows == "_LBRACE" and keyword.type in BARE_BLOCK_TOKENS
            if (
                kind == "WS"
                and str.__eq__(self.toks[i], " ")  # the text alone: Token's == is Python code
                and follows not in _LINE_END
                and not (brace_opens_block)
            ):
                self.resolve_h(keyword, has_args=True)
                space = self.toks[i]
                space.type = "ARGSTART"
                self.out.append(space)
                return self.arguments(i + 1, keyword.type)
            i += 1
            kind = self.peek_type(i)
        self.resolve_h(keyword, has_args=False)
        if kind == "_LBRACE":
            self.open_brace(self.toks[i], keyword.type)
            return i + 1
        return i

    @staticmethod
    def resolve_h(keyword: Token, has_args: bool) -> None:
        # H alone is HALT; H with an argument is HANG.
        if keyword.type in ("HALT", "HANG") and keyword.upper() == "H":
            keyword.type = "HANG" if has_args else "HALT"

    def postconditional(self, i: int) -> int:
        depth = 0
        while i < len(self.toks):
            tok = self.toks[i]
            if tok.type in _OPENS_PAREN:
                depth += 1
            elif tok.type == "_RPAR":
                depth -= 1
            elif tok.type in ("WS", "CWS"):
                if depth <= 0:
                    return i
                i += 1
                continue
            elif tok.type in _LINE_END or tok.type == "_LBRACE":
                return i
            self.out.append(tok)
            i += 1
        return i

    # -- inside arguments --------------------------------------------------------------------
    def arguments(self, i: int, command: str) -> int:
        toks, out = self.toks, self.out
        n = len(toks)
        depth = 0
        json: list[str] = []  # open JSON brackets, innermost last
        writing = command == "WRITE"
        arg_start = True
        while i < n:
            tok = toks[i]
            kind = tok.type
            if kind not in _NOTABLE_IN_ARGS:  # an operand or an operator: kept as it is
                out.append(tok)
                arg_start = False
                i += 1
                continue
            if (
                kind == "CONTAINS" or (kind == "_LBRACE" and command not in BLOCK_AFTER_ARGS_TOKENS)
            ) and ((out[-1].type if out else "$END") in _OPERAND_EXPECTED):
                kind = "JLBRACE" if kind == "_LBRACE" else "JLBRACK"
                json.append(kind)
                out.append(Token.new_borrow_pos(kind, tok, tok))
                depth += 1
                arg_start = False
                i += 1
                continue
            closes = _JSON_CLOSERS.get(kind) if json else None
            if closes and json[-len(closes) :] == closes:
                for _ in closes:  # ]] closes two nested arrays
                    json.pop()
                    depth -= 1
                    closer = "JRBRACE" if kind == "_RBRACE" else "JRBRACK"
                    out.append(Token.new_borrow_pos(closer, tok, tok))
                i += 1
                continue
            if kind in ("WS", "CWS"):
                prev = self.out[-1].type if self.out else "$END"
                nxt = self.peek_type(i + 1)
                inside = depth > 0 or prev in _OPEN_BEFORE or nxt in _CONTINUES
                if kind == "CWS" and inside and "_COMMA" not in (prev, nxt):
                    # A comment may stand between arguments, not inside an expression.
                    self.out.append(Token.new_borrow_pos("MISPLACED_COMMENT", tok, tok))
                    return i + 1
                if inside:
                    i += 1
                    continue
                return i + 1
            if depth <= 0 and kind in ("_NL", "COMMENT", "_RBRACE"):
                return i
            if depth <= 0 and kind == "_LBRACE":
                self.open_brace(tok, command)
                return i + 1
            if kind in _OPENS_PAREN:
                depth += 1
            elif kind == "_RPAR":
                depth -= 1
            if writing and depth == 0 and arg_start and kind in _WRITE_FORMATS:
                kind = tok.type = _WRITE_FORMATS[kind]
            self.out.append(tok)
            arg_start = depth == 0 and kind in ("_COMMA", "FMT_NL", "FMT_FF")
            i += 1
        return i
