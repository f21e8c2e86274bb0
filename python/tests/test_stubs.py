"""The type stubs (_bertscope.pyi) describe what the module has: every public name of the
extension is in the stubs with the same parameters, and nothing else."""
import ast
import inspect
import os
import re

import pytest

import bertscope
from bertscope import _bertscope


def stub_tree():
    path = os.path.join(os.path.dirname(_bertscope.__file__), "_bertscope.pyi")
    with open(path) as f:
        return ast.parse(f.read())


def stub_functions(body):
    out = {}
    for node in body:
        if isinstance(node, ast.FunctionDef):
            out.setdefault(node.name, [a.arg for a in node.args.args + node.args.kwonlyargs])
    return out


def module_parameters(function):
    """Parameter names from pybind11's signature line: `name(a: T, b: T = x) -> R`."""
    first = function.__doc__.splitlines()[0]
    inside = first[first.index("(") + 1:first.rindex(") ->")]
    return [p.split(":")[0].strip() for p in re.split(r",\s*(?![^\[]*\])", inside) if p.strip()]


def table_names(method):
    command = "patch_grid" if method == "attribution_patch" else method  # both take patch-grid's rows
    return [row["name"] for row in bertscope.options() if command in row["commands"]]


def test_module_functions_match_the_stubs():
    tree = stub_tree()
    stubs = stub_functions(tree.body)
    for name in ("load", "options", "run_spec", "merge", "compare_units"):
        parameters = [p for p in module_parameters(getattr(_bertscope, name)) if p != "*"]
        assert stubs[name] == parameters, name


def test_model_methods_match_the_stubs():
    tree = stub_tree()
    model = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model")
    stubs = stub_functions(model.body)
    public = {n for n in dir(_bertscope.Model) if not n.startswith("_")}
    assert public == set(stubs), public ^ set(stubs)
    for name in public:
        member = getattr(_bertscope.Model, name)
        if isinstance(member, property):
            continue
        parameters = [p for p in module_parameters(member) if p != "*"]
        if parameters[-1] == "**kwargs":
            # The option table's rows: the stub spells them out (test below).
            parameters = parameters[:-1] + table_names(name)
        assert stubs[name] == parameters, name


def module_defaults(function):
    """{parameter: default} from pybind11's signature line, for defaults Python can read back."""
    first = function.__doc__.splitlines()[0]
    inside = first[first.index("(") + 1:first.rindex(") ->")]
    out = {}
    for p in re.split(r",\s*(?![^\[]*\])", inside):
        if " = " in p:
            name, text = p.split(":")[0].strip(), p.split(" = ", 1)[1]
            try:
                out[name] = ast.literal_eval(text)
            except ValueError:
                pass
    return out


def stub_defaults(node):
    args = node.args
    pairs = list(zip(args.args[len(args.args) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return {a.arg: ast.literal_eval(d) for a, d in pairs}


def test_every_default_in_the_stubs_is_the_modules():
    """The stubs repeat the defaults as Python literals; the module's come from the engine's
    request structs (experiments/defaults.h), and each stub default must be the same value."""
    tree = stub_tree()
    model = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model")
    checked = 0
    for owner, body in ((_bertscope, tree.body), (_bertscope.Model, model.body)):
        for node in body:
            if not isinstance(node, ast.FunctionDef) or not hasattr(owner, node.name):
                continue
            member = getattr(owner, node.name)
            if isinstance(member, property) or not member.__doc__:
                continue
            real = module_defaults(member)
            for name, value in stub_defaults(node).items():
                if name in real:
                    assert value == real[name], (node.name, name, value, real[name])
                    checked += 1
    assert checked > 40


@pytest.mark.parametrize("method, command, before", [
    ("sweep", "sweep", ["out", "progress", "foil", "return_logits", "metric", "return_sites", "site_positions"]),
    ("stats", "stats", ["out", "progress"]),
    ("patch_grid", "patch_grid", ["foil", "sites", "heads"]),
    ("attribution_patch", "patch_grid", ["foil", "sites", "heads", "check", "qk_fix"])])
def test_the_stubs_give_the_tables_options_and_defaults(method, command, before):
    tree = stub_tree()
    model = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model")
    stub_method = next(n for n in model.body if isinstance(n, ast.FunctionDef) and n.name == method)
    stub = {a.arg: ast.literal_eval(d) for a, d in zip(stub_method.args.kwonlyargs, stub_method.args.kw_defaults)}
    rows = {row["name"]: row for row in bertscope.options() if command in row["commands"]}
    assert list(stub)[:len(before)] == before
    assert list(stub)[len(before):] == list(rows)
    for name, row in rows.items():
        assert stub[name] == row["default"], name
        assert name in getattr(bertscope.Model, method).__doc__, name


def test_the_package_exports_what_it_documents():
    assert set(bertscope.__all__) == {"Collection", "Error", "Model", "Result", "Weights", "__version__", "compare_units", "load",
                                      "merge", "options", "read_csv", "read_safetensors", "run_spec"}
    assert bertscope.__version__.count(".") == 2
    assert inspect.signature(bertscope.Result.save).parameters.keys() == {"self", "folder"}
    assert os.path.exists(os.path.join(os.path.dirname(bertscope.__file__), "py.typed"))
