"""The type stubs (_bertscope.pyi) describe what the module has: every public name of the
extension is in the stubs with the same parameters, and nothing else."""
import ast
import inspect
import os
import re

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


def test_module_functions_match_the_stubs():
    tree = stub_tree()
    stubs = stub_functions(tree.body)
    for name in ("load", "run_spec"):
        assert stubs[name] == module_parameters(getattr(_bertscope, name)), name


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
        assert stubs[name] == module_parameters(member), name


def test_the_package_exports_what_it_documents():
    assert set(bertscope.__all__) == {"Error", "Model", "Result", "__version__", "load", "read_csv", "run_spec"}
    assert bertscope.__version__.count(".") == 2
    assert inspect.signature(bertscope.Result.save).parameters.keys() == {"self", "folder"}
    assert os.path.exists(os.path.join(os.path.dirname(bertscope.__file__), "py.typed"))
