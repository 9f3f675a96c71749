"""YAML with line numbers, for error messages that name file, line and field.

PyYAML's composer keeps each node's position; these helpers read values
from the node tree with type checks, so every complaint can say
"capstan.yaml:7: memory: expected a size like 128M". Library code: raises
UserError, never prints.
"""

import re

import yaml

from . import UserError

_SIZE = re.compile(r"^\s*(\d+)\s*([KMGT]?)i?B?\s*$", re.I)
_UNITS = {"": 1 << 20, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30,
          "T": 1 << 40}


class Source:
    """One YAML file: its path and root node."""

    def __init__(self, path, text=None):
        self.path = path
        if text is None:
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except FileNotFoundError:
                raise UserError(f"{path}: no such file") from None
            except (OSError, UnicodeDecodeError) as e:
                raise UserError(f"{path}: cannot read: {e}") from None
        try:
            self.root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark else 1
            raise UserError(f"{path}:{line}: malformed YAML: "
                            f"{e.problem or e.context}") from None
        except yaml.YAMLError as e:
            raise UserError(f"{path}: malformed YAML: {e}") from None
        if self.root is None:
            raise UserError(f"{path}:1: empty file: expected a mapping")

    def error(self, node, field, message):
        """A UserError located at `node` about `field`."""
        line = node.start_mark.line + 1 if node is not None else 1
        where = f"{field}: " if field else ""
        return UserError(f"{self.path}:{line}: {where}{message}")

    # --- structure -----------------------------------------------------
    def mapping(self, node, field, allowed=None):
        """{key: (key node, value node)} of a mapping; unknown keys (not in
        `allowed`) and duplicates are errors."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, field, f"expected a mapping, got "
                             f"{_kind(node)}")
        out = {}
        for knode, vnode in node.value:
            key = self.value(knode)
            name = f"{field}.{key}" if field else str(key)
            if not isinstance(key, str):
                raise self.error(knode, name, "keys must be strings")
            if key in out:
                raise self.error(knode, name, "given twice")
            if allowed is not None and key not in allowed:
                raise self.error(knode, name, "unknown key (expected one "
                                 f"of: {', '.join(sorted(allowed))})")
            out[key] = (knode, vnode)
        return out

    def seq(self, node, field):
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, field, f"expected a list, got "
                             f"{_kind(node)}")
        return list(node.value)

    def value(self, node):
        """The plain Python value of a node (scalars, lists, mappings)."""
        return yaml.SafeLoader("").construct_object(node, deep=True)

    # --- typed scalars --------------------------------------------------
    def string(self, node, field, pattern=None, hint=""):
        v = self.value(node)
        if not isinstance(node, yaml.ScalarNode) or not isinstance(v, str):
            extra = " (quote it)" if isinstance(v, (int, float)) else ""
            raise self.error(node, field, f"expected a string, got "
                             f"{_kind(node, v)}{extra}")
        if pattern is not None and not re.fullmatch(pattern, v):
            raise self.error(node, field, f"{v!r}: {hint or 'invalid'}")
        return v

    def integer(self, node, field, minimum=None, maximum=None):
        v = self.value(node)
        if not isinstance(v, int) or isinstance(v, bool):
            raise self.error(node, field, f"expected a whole number, got "
                             f"{_kind(node, v)}")
        if minimum is not None and v < minimum:
            raise self.error(node, field, f"{v}: at least {minimum}")
        if maximum is not None and v > maximum:
            raise self.error(node, field, f"{v}: at most {maximum}")
        return v

    def choice(self, node, field, choices):
        v = self.string(node, field)
        if v not in choices:
            raise self.error(node, field, f"{v!r}: expected one of "
                             f"{', '.join(choices)}")
        return v

    def size(self, node, field):
        """Bytes from 128M, 1G, 512K, "64 MiB" or a bare number of MiB."""
        v = self.value(node)
        if isinstance(v, int) and not isinstance(v, bool):
            text = str(v)
        elif isinstance(v, str):
            text = v
        else:
            raise self.error(node, field, f"expected a size like 128M, got "
                             f"{_kind(node, v)}")
        m = _SIZE.match(text)
        if not m or int(m.group(1)) == 0:
            raise self.error(node, field, f"{text!r}: expected a size like "
                             "128M, 1G or 512K")
        return int(m.group(1)) * _UNITS[m.group(2).upper()]

    def string_list(self, node, field, pattern=None, hint=""):
        if isinstance(node, yaml.ScalarNode) and isinstance(
                self.value(node), str):
            return [self.string(node, field, pattern, hint)]
        return [self.string(n, f"{field}[{i}]", pattern, hint)
                for i, n in enumerate(self.seq(node, field))]

    def string_map(self, node, field, key_pattern=None, hint=""):
        """{str: str} with the line of each key, for later checks:
        returns {key: (value, value node)}."""
        out = {}
        for key, (knode, vnode) in self.mapping(node, field).items():
            name = f"{field}.{key}"
            if key_pattern is not None and not re.fullmatch(key_pattern, key):
                raise self.error(knode, name, hint or "invalid key")
            v = self.value(vnode)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                v = str(v)
            elif not isinstance(v, str):
                raise self.error(vnode, name, f"expected a string, got "
                                 f"{_kind(vnode, v)}")
            out[key] = (v, vnode)
        return out


def _kind(node, value=None):
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if value is None and node is not None:
        value = yaml.SafeLoader("").construct_object(node)
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    return f"{type(value).__name__} {value!r}"
