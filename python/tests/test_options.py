"""The option table through Python: Model.sweep's keywords are the table's sweep rows, checked
by their type with errors in Python's words; a sweep, a spec as a dict, a spec as TOML text
and the CLI given the same options run the same experiment. (tests/spec_options_test.cpp
walks the table through the command line and TOML specs.)"""
import numpy as np
import pytest

import bertscope
from conftest import PROMPT, cli_error, python_words, run_cli

# Non-default values of every sweep option that noise takes (the others: below).
NOISE_OPTIONS = dict(layers=[0, 2], site="out", trials=3, seed=7, paired=True, top=3, max_batch_tokens=64,
                     factor=0.5, std_of="layer", positions=[1, 2], label="noise at two tokens")
CLI_FLAGS = ["--layers", "0,2", "--site", "out", "--trials", "3", "--seed", "7", "--paired", "--top", "3",
             "--max-batch-tokens", "64", "--factor", "0.5", "--std-of", "layer", "--positions", "1,2",
             "--label", "noise at two tokens"]


def sweep_rows():
    return [row for row in bertscope.options() if "sweep" in row["commands"]]


def test_the_table_is_what_sweep_takes_and_documents():
    rows = sweep_rows()
    assert {r["name"] for r in rows} >= set(NOISE_OPTIONS) | {"other_prompt", "heads", "attend_to", "mean_prompts"}
    for row in rows:
        assert row["flag"] == "--" + row["name"].replace("_", "-")
        assert f"{row['name']}: {row['help']}" in bertscope.Model.sweep.__doc__


def test_sweep_a_dict_spec_toml_text_and_the_cli_run_the_same_experiment(demo, tmp_path):
    swept = demo.sweep(PROMPT, "behind", "noise", **NOISE_OPTIONS)
    spec = dict(name="sweep-noise", prompts=[dict(text=PROMPT, target="behind")],
                interventions=[dict(kind="noise", **{k: v for k, v in NOISE_OPTIONS.items() if k in (
                    "factor", "std_of", "positions", "label")})],
                **{k: v for k, v in NOISE_OPTIONS.items() if k not in ("factor", "std_of", "positions", "label")})
    from_dict = bertscope.run_spec(spec, model=demo)
    from_text = bertscope.run_spec(bertscope._spec.spec_toml(spec), model=demo)
    run_cli("sweep", "--quiet", "--dtype", "f32", "--threads", str(demo.threads), "--prompt", PROMPT, "--target",
            "behind", "--intervention", "noise", *CLI_FLAGS, "--out", str(tmp_path / "cli"))
    cli_runs = bertscope.read_csv(tmp_path / "cli" / "runs.csv")
    for result in (from_dict, from_text):
        assert result.runs.equals(swept.runs)
    assert swept.runs.equals(cli_runs)
    assert len(swept.runs) == 2 * 3 and set(swept.runs["label"]) == {"noise at two tokens"}
    assert swept.options["seed"] == 7 and swept.options["paired"] is True


# Each sweep option: the kind that uses it, a value, and what else the case needs. A new row
# of the table needs a case here.
CASES = {
    "layers": ("noise", [0, 2], {}), "site": ("noise", "attn.out", {}), "trials": ("noise", 3, {}),
    "seed": ("noise", 7, {}), "paired": ("noise", True, {}), "targets": ("noise", ["in", "on"], {}),
    "cosine_sites": ("noise", ["blocks.*.out", "blocks.1.attn.out"], {}), "top": ("noise", 3, {}),
    "max_batch_tokens": ("noise", 64, {}), "figures": ("noise", "none", {}), "factor": ("noise", 0.5, {}),
    "std_of": ("noise", "layer", {}),
    "other_prompt": ("mix", "The capital of Italy is [MASK].", {}), "positions": ("noise", [1, 2], {}),
    "heads": ("zero", [1], {"site": "attn.z"}), "attend_to": ("attend", 1, {"site": "attn.pattern"}),
    "mean_prompts": ("mean", ["Paris is big."], {}), "label": ("noise", "mine", {}),
    "units": ("zero", [3, 5], {"site": "mlp.post"}), "units_file": ("zero", "units.csv:him", {"site": "mlp.post"}),
    "direction_file": ("steer", "units.csv:him", {"site": "mlp.post"}),
    "direction_to": ("steer", ["He went home."], {"direction_from": ["She went home."]}),
    "direction_from": ("project", ["She went home."], {"direction_to": ["He went home."]}),
    "components": ("pca", 2, {"basis_prompts": ["Paris is big.", "The sea is wide and blue."]}),
    "basis_prompts": ("pca", ["Paris is big.", "The sea is wide and blue."], {}),
    "basis_file": ("pca", "basis.npy", {"components": 2}),
}


def units_file(folder):
    """A units file of unit 4 of block 1's mlp.post, higher in "him", as bertscope neurons writes it."""
    path = folder / "units.csv"
    path.write_text("site,block,unit,higher_in,mean_a,mean_b,t,df,p,p_fdr,p_bonferroni,cohen_d,significant_fdr,"
                    "significant_bonferroni\nblocks.1.mlp.post,1,4,him,1,0,5,8,0.001,0.001,0.001,2,true,true\n")
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_sweep_option_is_the_spec_key_of_the_same_name(demo, name, tmp_path):
    assert set(CASES) == {r["name"] for r in sweep_rows()}
    levels = {r["name"]: r["level"] for r in sweep_rows()}
    kind, value, extra = CASES[name]
    if name in ("units_file", "direction_file"):
        value = f"{units_file(tmp_path)}:him"
    if name == "basis_file":
        value = str(tmp_path / value)
        np.save(value, np.random.default_rng(0).standard_normal((3, demo.config["hidden"])))
    options = {"layers": [1], "trials": 2, **extra, name: value}
    given = demo.sweep(PROMPT, "behind", kind, **options)
    spec = dict(prompts=[dict(text=PROMPT, target="behind")], interventions=[dict(kind=kind)])
    for key, v in options.items():
        (spec["interventions"][0] if levels[key] == "intervention" else spec)[key] = v
    assert given.runs.equals(bertscope.run_spec(spec, model=demo).runs)


@pytest.mark.parametrize("name", [r["name"] for r in bertscope.options()
                                  if "sweep" in r["commands"] and r["type"] == "int" and r["max"] < 2**63])
def test_a_whole_number_out_of_range_is_named_as_the_keyword(demo, name, tmp_path):
    row = next(r for r in bertscope.options() if r["name"] == name)
    with pytest.raises(bertscope.Error) as e:
        demo.sweep(PROMPT, "behind", "noise", **{name: row["max"] + 1})
    message = str(e.value)
    assert message == f"{name} must be a whole number from {row['min']} to {row['max']}, not {row['max'] + 1}"
    assert python_words(cli_error("sweep", "--prompt", PROMPT, "--target", "behind", "--intervention", "noise",
                                  row["flag"], str(row["max"] + 1), "--out", str(tmp_path / "o"))) == message


def test_wrong_types_and_unknown_keywords_are_type_errors(demo):
    with pytest.raises(TypeError, match=r"^sweep\(\) got an unexpected keyword argument 'trails'$"):
        demo.sweep(PROMPT, "behind", "noise", trails=3)
    with pytest.raises(TypeError, match=r"^factor must be a number, not list$"):
        demo.sweep(PROMPT, "behind", "noise", factor=[0.25, 0.75])
    with pytest.raises(TypeError, match=r"^trials must be an int, not float$"):
        demo.sweep(PROMPT, "behind", "noise", trials=2.0)
    with pytest.raises(TypeError, match=r"^paired must be True or False, not int$"):
        demo.sweep(PROMPT, "behind", "noise", paired=1)
    with pytest.raises(bertscope.Error, match=r"^std_of must be one of vector, layer, absolute, not 'row'$"):
        demo.sweep(PROMPT, "behind", "noise", std_of="row")
    # Found by the engine, after the options are read: still the keyword.
    with pytest.raises(bertscope.Error, match=r"^layers '7': block 7 is out of range"):
        demo.sweep(PROMPT, "behind", "noise", layers=7)
    with pytest.raises(bertscope.Error, match=r"^attend_to is only used by attend, not by noise$"):
        demo.sweep(PROMPT, "behind", "noise", attend_to=2)


def test_a_spec_as_a_dict_is_checked_as_a_file_is(demo):
    with pytest.raises(bertscope.Error, match=r"interventions\[0\]\.std_of must be one of vector, layer, absolute"):
        bertscope.run_spec(dict(prompts=[dict(text=PROMPT, target="behind")],
                                interventions=[dict(kind="noise", std_of="row")]), model=demo)
    with pytest.raises(bertscope.Error, match=r"trails is not a known key"):
        bertscope.run_spec(dict(trails=3, prompts=[dict(text=PROMPT, target="behind")],
                                interventions=[dict(kind="zero")]), model=demo)
    with pytest.raises(TypeError, match=r"spec: interventions\[0\]\.factor must be a str, number, bool or list, not dict"):
        bertscope.run_spec(dict(prompts=[dict(text=PROMPT, target="behind")],
                                interventions=[dict(kind="noise", factor={})]), model=demo)
