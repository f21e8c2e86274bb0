"""A spec given to bertscope.run_spec as a dict, written as the TOML the spec reader takes, so
that a dict, TOML text and a TOML file pass the same checks and give the same messages."""
import json
import math
import os


def _string(text):
    # A TOML basic string: JSON's escapes are TOML's, but for DEL, which TOML wants escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def _value(value, where):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (str, os.PathLike)):
        return _string(os.fspath(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
    raise TypeError(f"spec: {where} must be a str, number, bool or list, not {type(value).__name__}")


def _keys(table, where):
    lines = []
    for key, value in table.items():
        if not isinstance(key, str):
            raise TypeError(f"spec: {where}keys must be str, not {type(key).__name__}")
        lines.append(f"{_string(key)} = {_value(value, where + key)}")
    return lines


def spec_toml(spec):
    """The dict as TOML: its keys, [[prompts]] and [[interventions]] from lists of dicts,
    [distributions] from a dict (or True for the defaults)."""
    lines, tables = [], []
    for key, value in spec.items():
        if key in ("prompts", "interventions") and isinstance(value, (list, tuple)) and \
                all(isinstance(v, dict) for v in value):
            for i, row in enumerate(value):
                tables += ["", f"[[{key}]]"] + _keys(row, f"{key}[{i}].")
        elif key == "distributions" and (isinstance(value, dict) or value is True):
            tables += ["", "[distributions]"] + _keys(value if isinstance(value, dict) else {}, "distributions.")
        elif isinstance(key, str):
            lines += _keys({key: value}, "")
        else:
            raise TypeError(f"spec: keys must be str, not {type(key).__name__}")
    return "\n".join(lines + tables) + "\n"
