// Model.sweep and bertscope.run_spec: experiments as the CLI's `sweep` and `run` run them,
// with the same options, results and files. The result goes to Python as a
// bertscope.Result (python/bertscope/_result.py), which reads its tables from here.
#include <pybind11/stl.h>

#include <algorithm>
#include <limits>

#include "arguments.h"
#include "arrays.h"
#include "spec_arguments.h"
#include "common/io_claims.h"
#include "common/error.h"
#include "common/json_text.h"
#include "demo_model.h"
#include "errors.h"
#include "experiments/experiment.h"
#include "experiments/prompt_file.h"
#include "experiments/statistics.h"
#include "interrupt.h"
#include "module.h"
#include "reports/experiment_files.h"
#include "reports/output_folder.h"
#include "reports/output_size.h"
#include "runs/run_folder.h"

namespace bertscope::python {

namespace {

std::string repr_of(py::handle value) { return py::repr(value).cast<std::string>(); }

// What a call keeps of every trial beyond its tables (return_logits, metric, return_sites and
// site_positions), checked before the run.
struct TrialArrays {
  bool return_logits = false;
  py::object metric = py::none();
  std::vector<HookSite> sites;
  Positions positions;

  bool any() const { return return_logits || !metric.is_none() || !sites.empty(); }
  // How the call reads in results.json's command.
  std::string repr(const py::object& return_sites, const py::object& site_positions) const {
    std::string text;
    if (return_logits) text += ", return_logits=True";
    if (!metric.is_none()) text += ", metric=" + repr_of(metric);
    if (!sites.empty()) text += ", return_sites=" + repr_of(return_sites);
    if (!sites.empty() && !site_positions.is_none()) text += ", site_positions=" + repr_of(site_positions);
    return text;
  }
};

TrialArrays trial_arrays(const Encoder& model, bool return_logits, const py::object& metric, const py::object& return_sites,
                         const py::object& site_positions) {
  TrialArrays arrays;
  arrays.return_logits = return_logits;
  if (!metric.is_none() && !PyCallable_Check(metric.ptr())) {
    throw py::type_error("metric must be a function of a row of log-probs (numpy, [vocab]) returning a number");
  }
  arrays.metric = metric;
  if (return_sites.is_none()) {
    if (!site_positions.is_none()) fail("site_positions goes with return_sites: the positions of the sites kept");
    return arrays;
  }
  if (!py::isinstance<py::str>(return_sites) && !py::isinstance<py::list>(return_sites) && !py::isinstance<py::tuple>(return_sites)) {
    throw py::type_error("return_sites must be a site name or pattern (\"blocks.*.out\"), or a list of them");
  }
  arrays.sites = sites_argument(model, return_sites, {});
  if (arrays.sites.empty()) fail("return_sites names no site");
  if (!site_positions.is_none()) {
    try {
      arrays.positions = Positions::parse(index_list_argument(site_positions, "site_positions"));
    } catch (const OptionError& e) {
      throw OptionError("site_positions", e.problem());
    }
  }
  return arrays;
}

// An experiment's result with what its files need: the model (vocabulary, config) and how
// it was run. Its tables are rendered by the functions that write the CLI's files.
struct RawResult {
  ExperimentResult result;
  std::shared_ptr<const Model> model;
  RunContext context;
  std::vector<std::string> files;  // written by the call that ran it (out=...)
  bool return_logits = false;      // every trial's log_probs are kept, until take_log_probs()
  bool log_probs_taken = false;
  std::vector<double> metric_runs, metric_clean;  // metric=fn: per trial in runs order; per prompt
  bool sites_taken = false;

  bool has_sites() const { return !result.spec.keep_sites.empty(); }
  size_t site_width(size_t s) const {
    return static_cast<size_t>(model->encoder->site_width(result.spec.keep_sites[s].kind, 1));
  }
  // The most positions a prompt kept: the arrays' second dimension (fewer are NaN-padded).
  size_t kept_positions() const {
    size_t most = 0;
    for (const SweepResult& sweep : result.sweeps) most = std::max(most, sweep.kept_positions.size());
    return most;
  }
  // [rows, positions, width] of `values` (one entry per row, positions x width or fewer), NaN-padded.
  py::array_t<float> padded(const std::vector<const std::vector<float>*>& values, size_t s) const {
    const size_t width = site_width(s), positions = kept_positions(), row = positions * width;
    std::vector<float> out(values.size() * row, std::numeric_limits<float>::quiet_NaN());
    for (size_t r = 0; r < values.size(); ++r) std::copy(values[r]->begin(), values[r]->end(), out.begin() + static_cast<std::ptrdiff_t>(r * row));
    return take_array(std::move(out), {static_cast<py::ssize_t>(values.size()), static_cast<py::ssize_t>(positions),
                                       static_cast<py::ssize_t>(width)});
  }

  // {site: [runs, positions, width]}: each trial's activations at the kept sites, rows in
  // runs.csv's order. Moved out of the trials, a site at a time (the second call gets an error).
  py::dict take_sites() {
    if (!has_sites()) fail("this result kept no site activations: run with return_sites=[...]");
    if (sites_taken) fail("the site activations were taken already (Result.sites holds them)");
    py::dict out;
    for (size_t s = 0; s < result.spec.keep_sites.size(); ++s) {
      std::vector<const std::vector<float>*> rows;
      for (const SweepResult& sweep : result.sweeps) {
        for (const TrialResult& trial : sweep.runs) rows.push_back(&trial.site_values[s]);
      }
      out[py::str(result.spec.keep_sites[s].name())] = padded(rows, s);
      for (SweepResult& sweep : result.sweeps) {
        for (TrialResult& trial : sweep.runs) std::vector<float>().swap(trial.site_values[s]);
      }
    }
    sites_taken = true;
    return out;
  }

  // {site: [prompts, positions, width]}: each prompt's clean activations there.
  py::dict clean_sites() const {
    py::dict out;
    for (size_t s = 0; s < result.spec.keep_sites.size(); ++s) {
      std::vector<const std::vector<float>*> rows;
      for (const SweepResult& sweep : result.sweeps) rows.push_back(&sweep.clean_site_values[s]);
      out[py::str(result.spec.keep_sites[s].name())] = padded(rows, s);
    }
    return out;
  }

  // [prompts, positions]: the token position of each kept row, -1 where a prompt kept fewer.
  py::array_t<long long> site_positions() const {
    const size_t positions = kept_positions();
    std::vector<long long> out(result.sweeps.size() * positions, -1);
    for (size_t p = 0; p < result.sweeps.size(); ++p) {
      const std::vector<int>& kept = result.sweeps[p].kept_positions;
      std::copy(kept.begin(), kept.end(), out.begin() + static_cast<std::ptrdiff_t>(p * positions));
    }
    return take_array(std::move(out), {static_cast<py::ssize_t>(result.sweeps.size()), static_cast<py::ssize_t>(positions)});
  }

  // [runs, vocab]: each trial's prediction row's log-softmax, rows in runs.csv's order.
  // Moved out of the trials (the second call gets an error): the array owns them.
  py::array_t<float> take_log_probs() {
    if (!return_logits) fail("this result kept no log-probs: run with return_logits=True");
    if (log_probs_taken) fail("the log-probs were taken already (Result.log_probs holds them)");
    std::vector<float> rows;
    size_t count = 0;
    for (const SweepResult& sweep : result.sweeps) count += sweep.runs.size();
    const auto vocab = static_cast<size_t>(model->encoder->config().vocab_size);
    rows.reserve(count * vocab);
    for (SweepResult& sweep : result.sweeps) {
      for (TrialResult& trial : sweep.runs) {
        rows.insert(rows.end(), trial.log_probs.begin(), trial.log_probs.end());
        std::vector<float>().swap(trial.log_probs);
      }
    }
    log_probs_taken = true;
    return take_array(std::move(rows), {static_cast<py::ssize_t>(count), static_cast<py::ssize_t>(vocab)});
  }

  // [prompts, vocab]: each prompt's clean prediction row's log-softmax.
  py::array_t<float> clean_log_probs() const {
    std::vector<float> rows;
    for (const SweepResult& sweep : result.sweeps) rows.insert(rows.end(), sweep.clean_log_probs.begin(), sweep.clean_log_probs.end());
    return take_array(std::move(rows), {static_cast<py::ssize_t>(result.sweeps.size()),
                                        static_cast<py::ssize_t>(model->encoder->config().vocab_size)});
  }

  // Calls `metric` on every prompt's clean row and every trial's row of `ran` (GIL held).
  void apply_metric(const py::object& metric, const ExperimentResult& ran) {
    const auto vocab = static_cast<py::ssize_t>(model->encoder->config().vocab_size);
    const auto call = [&](const std::vector<float>& row) {
      py::array_t<float> view({vocab}, row.data());  // a copy: the function may keep it
      const py::object value = metric(view);
      if (!py::hasattr(value, "__float__")) {
        throw py::type_error("metric must return a number for a row of log-probs, not " +
                             py::str(value.get_type().attr("__name__")).cast<std::string>());
      }
      return value.cast<double>();
    };
    for (const SweepResult& sweep : ran.sweeps) {
      metric_clean.push_back(call(sweep.clean_log_probs));
      for (const TrialResult& trial : sweep.runs) metric_runs.push_back(call(trial.log_probs));
    }
  }

  // summary.csv's rows (prompt x intervention x block, in its order) of the metric: mean,
  // std and the Student-t 95% interval over trials, as the other columns of summary.csv.
  py::dict metric_summary() const {
    std::vector<double> clean, mean, std, low, high;
    size_t at = 0;
    for (size_t p = 0; p < result.sweeps.size(); ++p) {
      const std::vector<TrialResult>& runs = result.sweeps[p].runs;
      for (size_t begin = 0; begin < runs.size();) {
        size_t end = begin;
        while (end < runs.size() && runs[end].intervention == runs[begin].intervention && runs[end].layer == runs[begin].layer) ++end;
        const MeanInterval m = mean_interval({metric_runs.data() + at + begin, end - begin});
        clean.push_back(metric_clean[p]);
        mean.push_back(m.mean);
        std.push_back(m.std);
        low.push_back(m.ci_low);
        high.push_back(m.ci_high);
        begin = end;
      }
      at += runs.size();
    }
    py::dict columns;
    columns["clean_metric"] = clean;
    columns["metric_mean"] = mean;
    columns["metric_std"] = std;
    columns["metric_ci95_low"] = low;
    columns["metric_ci95_high"] = high;
    return columns;
  }

  // results.json without its runs and summary: model, options, prompts and their clean
  // predictions, cheap to read whatever the number of trials.
  std::string header_json() const {
    ExperimentResult header{result.spec, result.model_dir, {}, {}, {}};
    for (const SweepResult& sweep : result.sweeps) header.sweeps.push_back({sweep.prompt, sweep.clean, {}, {}});
    header.summaries.resize(header.sweeps.size());
    nlohmann::json json = experiment_json(header, *model->encoder, context);
    json.erase("runs");
    json.erase("summary");
    return json_text(json);
  }

  std::vector<std::string> save(const std::string& folder) const {
    IoClaims claims;  // the folder may not be, hold or lie in the model the result came from
    claim_input(model->encoder->dir());
    OutputFolder out(folder, kResultsFile);
    std::vector<std::string> written;
    {
      py::gil_scoped_release release;
      written = write_experiment_files(out.staging(), result, *model->encoder, context);
    }
    out.commit();
    for (std::string& path : written) path = out.published(path);
    return written;
  }
};

// Runs `spec` through the Run API with its trials kept (run_in_memory): an unusable out
// folder fails before the run, the files are written only when all of it succeeded (the
// metric included).
py::object run(const std::shared_ptr<const Model>& model, ExperimentSpec spec, const std::string& out,
               py::object progress, std::string command, const TrialArrays& arrays = {}) {
  const bool return_logits = arrays.return_logits;
  const py::object& metric = arrays.metric;
  spec.keep_log_probs = return_logits || !metric.is_none();
  spec.keep_sites = arrays.sites;
  spec.keep_positions = arrays.positions;
  spec.out = out;
  IoClaims claims;  // no output may replace an input (common/io_claims.h): the model, spec, prompt files
  claim_input(model->encoder->dir());
  auto raw = std::make_unique<RawResult>();
  raw->model = model;
  raw->return_logits = return_logits;
  PythonProgress meter(std::move(progress), 1);
  RunControl control;
  control.progress = meter.fn();
  // The metric reads each trial's row before the files are written; without return_logits
  // the rows were kept for it alone.
  const auto inspect = [&](ExperimentResult& ran) {
    if (metric.is_none()) return;
    py::gil_scoped_acquire gil;
    raw->apply_metric(metric, ran);
    if (return_logits) return;
    for (SweepResult& sweep : ran.sweeps) {
      for (TrialResult& trial : sweep.runs) std::vector<float>().swap(trial.log_probs);
    }
  };
  FolderRun ran;
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = model->exclusive();
    model->use_threads();
    ran = run_in_memory(*model->encoder, spec,
                        RunContext{std::move(command), model->demo, model->dtype, model->dtype_requested}, control, inspect);
  }
  raw->result = std::move(ran.result);
  raw->context = std::move(ran.context);
  raw->files = std::move(ran.files);
  return py::module_::import("bertscope._result").attr("Result")(py::cast(std::move(raw)));
}

// A target or foil for `count` prompts: one str for all of them, or a list as long.
std::vector<std::string> words_argument(const py::object& value, size_t count, const std::string& name) {
  if (py::isinstance<py::str>(value)) return std::vector<std::string>(count, value.cast<std::string>());
  std::vector<std::string> words;
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    for (py::handle word : value) {
      if (!py::isinstance<py::str>(word)) throw py::type_error(name + " must be a str or a list of str");
      words.push_back(word.cast<std::string>());
    }
  } else {
    throw py::type_error(name + " must be a str or a list of str");
  }
  if (words.size() != count) {
    fail(name + " has " + std::to_string(words.size()) + " words for " + std::to_string(count) + " prompts");
  }
  return words;
}

// The prompt argument of sweep and stats: one text, a list of texts, or a prompt file (then
// `file` names it).
std::vector<PromptSpec> prompts_of(const py::object& prompt, std::string& file) {
  if (names_prompt_file(prompt)) {
    file = path_argument(prompt, "prompt");
    return read_prompt_file(file);
  }
  if (py::isinstance<py::str>(prompt)) return {{prompt.cast<std::string>()}};
  return prompts_argument(prompt, "prompt");
}

// Model.sweep's prompts: as prompts_of, with target and foil a str for all or a list as long;
// a prompt file's rows give their own.
std::vector<PromptSpec> sweep_prompts(const py::object& prompt, const py::object& target, const py::object& foil,
                                      std::string& file) {
  std::vector<PromptSpec> prompts = prompts_of(prompt, file);
  if (!file.empty()) {
    if (!target.is_none()) fail("target goes with a prompt text or a list of texts; a prompt file's rows give their targets");
    if (!foil.is_none()) fail("foil goes with a prompt text or a list of texts; a prompt file's rows give their foils");
    return prompts;
  }
  if (target.is_none()) throw py::type_error("sweep() needs a target: the word the [MASK] should be");
  const std::vector<std::string> targets = words_argument(target, prompts.size(), "target");
  for (size_t p = 0; p < prompts.size(); ++p) prompts[p].target = targets[p];
  if (!foil.is_none()) {
    const std::vector<std::string> foils = words_argument(foil, prompts.size(), "foil");
    for (size_t p = 0; p < prompts.size(); ++p) prompts[p].foil = foils[p];
  }
  return prompts;
}

// How an argument reads in results.json's command: a list by its length (it may hold
// thousands of prompts), anything else as Python writes it.
std::string argument_repr(const py::object& value, const std::string& items) {
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    return "<" + std::to_string(py::len(value)) + " " + items + ">";
  }
  return repr_of(value);
}

std::string keywords_repr(const py::kwargs& options) {
  std::string text;
  for (const auto& [key, value] : options) text += ", " + py::str(key).cast<std::string>() + "=" + repr_of(value);
  return text;
}

py::object sweep(const std::shared_ptr<Model>& model, const py::object& prompt, const py::object& target,
                 const py::object& intervention, const py::object& out, py::object progress, const py::object& foil,
                 bool return_logits, const py::object& metric, const py::object& return_sites,
                 const py::object& site_positions, const py::kwargs& options) {
  const TrialArrays arrays = trial_arrays(*model->encoder, return_logits, metric, return_sites, site_positions);
  std::vector<std::string> kinds;
  if (intervention.is_none()) {
    throw py::type_error("sweep() needs an intervention: " + InterventionSpec::kind_list() + ", or a list of them");
  }
  if (py::isinstance<py::str>(intervention)) {
    kinds.push_back(intervention.cast<std::string>());
  } else {
    if (!py::isinstance<py::list>(intervention) && !py::isinstance<py::tuple>(intervention)) {
      throw py::type_error("intervention must be a str or a list of str");
    }
    for (py::handle kind : intervention) {
      if (!py::isinstance<py::str>(kind)) throw py::type_error("intervention must be a str or a list of str");
      kinds.push_back(kind.cast<std::string>());
    }
    if (kinds.empty()) fail("intervention is an empty list");
  }
  ExperimentSpec spec;
  spec.name = kinds.size() > 1 ? "sweep" : "sweep-" + kinds.front();
  for (const std::string& name : kinds) {
    const auto kind = InterventionSpec::parse_kind(name);
    if (!kind) fail("intervention '" + name + "' is not one of " + InterventionSpec::kind_list());
    spec.interventions.push_back(InterventionSpec::of_kind(*kind));
  }
  if (options.contains("factor") && !options["factor"].is_none()) {
    for (const InterventionSpec& s : spec.interventions) {
      if (!s.uses_factor()) fail("factor is only used by " + InterventionSpec::factor_kinds() + ", not by " + InterventionSpec::kind_name(s.kind));
    }
  }
  spec.prompts = sweep_prompts(prompt, target, foil, spec.prompts_file);
  apply_options(spec, options, kUsedBySweep, "sweep");
  const std::string out_path = path_argument(out, "out");
  spec.out = out_path;
  std::string command = "python: Model.sweep(" + argument_repr(prompt, "prompts") + ", " + argument_repr(target, "targets") +
                        ", " + repr_of(intervention);
  if (!foil.is_none()) command += ", foil=" + argument_repr(foil, "foils");
  command += arrays.repr(return_sites, site_positions) + keywords_repr(options);
  try {
    return run(model, spec, out_path, std::move(progress), command + ")", arrays);
  } catch (const OptionError& e) {
    // Options apply to every intervention of the sweep: named as the keyword alone.
    throw OptionError(e.option(), e.problem());
  }
}

py::object stats(const std::shared_ptr<Model>& model, const py::object& prompt, const py::object& out,
                 py::object progress, const py::kwargs& options) {
  ExperimentSpec spec;
  spec.name = "stats";
  spec.distributions = true;
  spec.prompts = prompts_of(prompt, spec.prompts_file);
  apply_options(spec, options, kUsedByStats, "stats");
  const std::string out_path = path_argument(out, "out");
  spec.out = out_path;
  return run(model, spec, out_path, std::move(progress),
             "python: Model.stats(" + argument_repr(prompt, "prompts") + keywords_repr(options) + ")");
}

// A spec as a path (str or os.PathLike), TOML text (a str of several lines) or a dict
// (written as TOML by bertscope._spec, then read as any spec: one reader, one set of checks).
ExperimentSpec spec_argument(const py::object& spec, std::string& described) {
  if (py::isinstance<py::dict>(spec)) {
    const std::string text = py::module_::import("bertscope._spec").attr("spec_toml")(spec).cast<std::string>();
    described = "<dict>";
    return ExperimentSpec::parse_toml(text, "spec (dict, as TOML)");
  }
  if (py::isinstance<py::str>(spec) && spec.cast<std::string>().find('\n') != std::string::npos) {
    described = "<TOML text>";
    return ExperimentSpec::parse_toml(spec.cast<std::string>(), "spec (TOML text)");
  }
  const std::string path = path_argument(spec, "spec");
  described = repr_of(py::str(path));
  return ExperimentSpec::load_toml(path);
}

py::object run_spec(const py::object& spec_arg, const py::object& out, const py::object& model_arg,
                    const std::string& dtype, const py::object& threads, py::object progress, const py::object& shard,
                    bool return_logits, const py::object& metric, const py::object& return_sites,
                    const py::object& site_positions) {
  IoClaims claims;  // the spec and its prompt files are inputs of this call, as the model is
  std::string described;
  ExperimentSpec spec = spec_argument(spec_arg, described);
  const std::string out_path = path_argument(out, "out");
  const std::string spec_out = spec.out;
  spec.out = out_path;
  std::shared_ptr<Model> model;
  if (py::isinstance<Model>(model_arg)) {
    model = model_arg.cast<std::shared_ptr<Model>>();
  } else {
    // A model folder given here wins over the spec's own `model`, as --model does.
    std::string folder = path_argument(model_arg, "model");
    if (folder.empty()) folder = spec.model;
    model = py::module_::import("bertscope._bertscope")
                .attr("load")(folder.empty() ? py::object(py::none()) : py::object(py::str(folder)), dtype, threads)
                .cast<std::shared_ptr<Model>>();
  }
  const TrialArrays arrays = trial_arrays(*model->encoder, return_logits, metric, return_sites, site_positions);
  std::string command = "python: bertscope.run_spec(" + described + ", out=" + repr_of(out);
  if (!shard.is_none()) {
    if (arrays.any()) fail("return_logits, metric and return_sites need the trials in memory: not with a shard");
    command += ", shard=" + repr_of(shard) + ")";
    return run_spec_shard(model, std::move(spec), spec_out, shard, std::move(progress), std::move(command));
  }
  return run(model, spec, out_path, std::move(progress), command + arrays.repr(return_sites, site_positions) + ")", arrays);
}

}  // namespace

void bind_experiment(py::module_& m, py::class_<Model, std::shared_ptr<Model>>& cls) {
  py::class_<RawResult>(m, "_RawResult", "An experiment's result as the engine holds it (use bertscope.Result)")
      .def("runs_csv", [](const RawResult& r) { return runs_csv(r.result, *r.model->encoder); })
      .def("summary_csv", [](const RawResult& r) { return summary_csv(r.result, *r.model->encoder); })
      .def("top_csv", [](const RawResult& r) { return top_csv(r.result, *r.model->encoder); })
      .def("prompts_csv", [](const RawResult& r) { return prompts_csv(r.result, *r.model->encoder); })
      .def("distributions_csv", [](const RawResult& r) { return distributions_csv(r.result); })
      .def("histograms_csv", [](const RawResult& r) { return histograms_csv(r.result); })
      .def("results_json", [](const RawResult& r) { return json_text(experiment_json(r.result, *r.model->encoder, r.context)); })
      .def("header_json", &RawResult::header_json)
      .def("has_sweeps", [](const RawResult& r) { return !r.result.sweeps.empty(); })
      .def("has_distributions", [](const RawResult& r) { return !r.result.distributions.empty(); })
      .def_readonly("files", &RawResult::files)
      .def("has_log_probs", [](const RawResult& r) { return r.return_logits; })
      .def("take_log_probs", &RawResult::take_log_probs)
      .def("clean_log_probs", &RawResult::clean_log_probs)
      .def("has_metric", [](const RawResult& r) { return !r.metric_clean.empty(); })
      .def("metric_runs", [](const RawResult& r) { return r.metric_runs; })
      .def("metric_summary", &RawResult::metric_summary)
      .def("has_sites", &RawResult::has_sites)
      .def("take_sites", &RawResult::take_sites)
      .def("clean_sites", &RawResult::clean_sites)
      .def("site_positions", &RawResult::site_positions)
      .def("save", &RawResult::save, py::arg("folder"));

  static const std::string sweep_doc = R"doc(An intervention sweep, as `bertscope sweep` with the same options.

For each block L in layers and each trial, edit the activations at the site of block L
(at the [MASK] by default), run the rest of the model and read the prediction at the
[MASK]. shuffle and noise run `trials` seeded trials per layer (the same seed gives the
same draws on any thread count); the others run once.

prompt: text with exactly one [MASK]; a list of such texts; or a prompt file (a path, or a
    str ending in .txt, .jsonl or .csv), whose rows give their own target, foil and id.
target: a word that is one vocabulary entry; with a list of prompts, one word for all of
    them or a list as long. None with a prompt file.
foil: None, or a second word (a str or a list, as target): every run also records
    logit(target) - logit(foil) (logit_diff: IOI's Mary - John, the he - she bias score).
intervention: )doc" + InterventionSpec::kind_list() + R"doc(, or a list of them (run in
    one sweep, with the same options).
out: a folder to write the CLI's files to (results.json, runs.csv, summary.csv, figures,
    report.html); None writes nothing (Result.save writes them later).
progress: None or fn(done, total), called with the GIL between batches.
return_logits: keep every trial's prediction row: Result.log_probs is then an array
    [len(Result.runs), vocab] of log-softmax rows in the order of Result.runs, and
    Result.clean_log_probs [prompts, vocab]. Counted in the run's memory estimate (vocab x 4
    bytes a trial) and refused like any run that cannot fit.
metric: None, or fn(log_probs) -> number, called on each trial's prediction row (numpy
    float32 [vocab], log-softmax) and each prompt's clean row: Result.runs gets a `metric`
    column, Result.summary clean_metric and metric_mean, _std, _ci95_low, _ci95_high (over
    trials, as its other columns). E.g. lambda lp: lp[m.token_id("he")] - lp[m.token_id("she")].
return_sites: None, or site names or patterns (as Model.collect's; not attn.scores or
    attn.pattern): every trial keeps its activations there as they are after its edit (a
    site before the edit holds its clean value; an edited block's output, the edited state).
    Result.sites is then {site: float32 [len(Result.runs), positions, width]}, rows in the
    order of Result.runs; Result.clean_sites {site: [prompts, positions, width]};
    Result.site_positions [prompts, positions] the token positions (prompts that keep fewer
    positions are padded with NaN, and -1). Counted in the run's memory estimate.
site_positions: the positions kept with return_sites: "mask" (default: the prediction
    position), "last", "all", "word:WORD", or indices as for positions.

The options, keyword-only, are those of `bertscope sweep` and of a spec (bertscope.options()
lists them; None or leaving one out gives its default):
)doc" + options_doc(kUsedBySweep) + R"doc(
The GIL is released while it runs; Ctrl-C (KeyboardInterrupt) stops it between batches, as
does an exception raised by progress. Returns a bertscope.Result.)doc";
  cls.def("sweep", &sweep, py::arg("prompt"), py::arg("target") = py::none(), py::arg("intervention") = py::none(),
          py::kw_only(), py::arg("out") = py::none(), py::arg("progress") = py::none(), py::arg("foil") = py::none(),
          py::arg("return_logits") = false, py::arg("metric") = py::none(), py::arg("return_sites") = py::none(),
          py::arg("site_positions") = py::none(), sweep_doc.c_str());

  static const std::string stats_doc = R"doc(The clean hidden states against a Gaussian, as `bertscope stats` with the same options.

For the embeddings and every block's output: histogram, mean, std, skewness, excess
kurtosis and tail shares over all positions, and of the [MASK] vector alone when the
prompt has one, beside a Gaussian of the state's own std.

prompt: a text, a list of texts, or a prompt file (a path, or a str ending in .txt, .jsonl
    or .csv); each prompt's statistics are named by its id.
out: a folder to write the CLI's files to (results.json, distributions.csv, histograms.csv,
    the figure, report.html); None writes nothing (Result.save writes them later).
progress: None or fn(done, total), called with the GIL between prompts.

The options, keyword-only (bertscope.options() lists them):
)doc" + options_doc(kUsedByStats) + R"doc(
Returns a bertscope.Result: Result.distributions and Result.histograms hold the tables.)doc";
  cls.def("stats", &stats, py::arg("prompt"), py::kw_only(), py::arg("out") = py::none(),
          py::arg("progress") = py::none(), stats_doc.c_str());

  m.def("options", &options_table, R"doc(The experiment options, as one table that the CLI, specs and Model.sweep all read.

A list of dicts: name (the spec key and the Python keyword), flag (the command line's),
type, level (experiment, intervention or distributions), default, default_text, help,
commands (sweep, stats, spec; patch_grid: also Model.patch_grid, attribution_patch and `bertscope
patch-grid`, `attribute`), and min/max or choices where they apply.)doc");

  m.def("run_spec", &run_spec, py::arg("spec"), py::arg("out") = py::none(), py::arg("model") = py::none(),
        py::arg("dtype") = "auto", py::arg("threads") = py::none(), py::arg("progress") = py::none(),
        py::arg("shard") = py::none(), py::arg("return_logits") = false, py::arg("metric") = py::none(),
        py::arg("return_sites") = py::none(), py::arg("site_positions") = py::none(),
        R"doc(Run an experiment spec, as `bertscope run SPEC`.

spec: a TOML file (see examples/*.toml), TOML text (a str of several lines) or a dict with
    the same keys (prompts and interventions as lists of dicts, distributions a dict);
    relative paths in text or a dict are relative to the working directory.

out: a folder to write the CLI's files to; None writes nothing (Result.save writes them later).
model: a loaded bertscope.Model, or a model folder; None: the spec's `model`, else
    $BERTSCOPE_MODEL, else the demo model. dtype and threads apply when it is loaded here.
progress: None or fn(done, total), called between batches.
shard: None, or "K/N" (or (K, N)): run only shard K of N of the work items, as
    `bertscope run SPEC --shard K/N`, into a shard folder (out; None: the spec's out with
    .shard-K-of-N) that bertscope.merge (or `bertscope merge`) joins with the others. Returns
    then a dict: shard.json's fields (shard, items, total_items, ...), out and files.
return_logits, metric, return_sites, site_positions: as Model.sweep's (not with a shard).

Returns a bertscope.Result (a dict for a shard).)doc");
}

}  // namespace bertscope::python
