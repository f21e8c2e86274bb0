// bertscope neurons: which units of a site tell two prompt sets apart (the course's "him" and
// "her" neurons): t-tests per unit between the sets, FDR-corrected within each block, with
// a units file that a later edit reads (units_file = "DIR/units.csv:him").

#include <cstdio>
#include <optional>

#include "commands/commands.h"
#include "common/error.h"
#include "experiments/neuron_study.h"
#include "model/site_patterns.h"
#include "reports/neuron_files.h"
#include "reports/output_folder.h"
#include "strict_numbers.h"

namespace bertscope::cli {

namespace {

struct NeuronsOptions {
  ModelOptions model;
  std::string prompts_a, prompts_b, labels = NeuronStudyRequest{}.label_a + "," + NeuronStudyRequest{}.label_b;
  std::string positions = Positions{}.describe(), positions_a, positions_b;
  std::string sites = defaults::kNeuronSites, test = unit_test_name(NeuronStudyRequest{}.test), out;
  double alpha = NeuronStudyRequest{}.alpha;
  int max_batch_tokens = NeuronStudyRequest{}.max_batch_tokens;
};

void run_neurons(const NeuronsOptions& o) {
  std::optional<OutputFolder> folder;
  if (!o.out.empty()) folder.emplace(o.out, "neurons.json");
  NeuronStudyRequest request;
  const size_t comma = o.labels.find(',');
  if (comma == std::string::npos) throw Error("--labels must be two names, like him,her, not '" + o.labels + "'");
  request.label_a = o.labels.substr(0, comma);
  request.label_b = o.labels.substr(comma + 1);
  request.prompts_a = prompts_from("", o.prompts_a, "--prompts-a");
  request.prompts_b = prompts_from("", o.prompts_b, "--prompts-b");
  request.positions_a = Positions::parse(o.positions_a.empty() ? o.positions : o.positions_a);
  request.positions_b = Positions::parse(o.positions_b.empty() ? o.positions : o.positions_b);
  const auto test = parse_unit_test(o.test);
  if (!test) throw Error("--test must be one of student, welch, paired, not '" + o.test + "'");
  request.test = *test;
  request.alpha = o.alpha;
  request.max_batch_tokens = o.max_batch_tokens;
  const Encoder model = load_model(o.model);
  request.sites = resolve_site_list(model, o.sites);

  ProgressMeter meter = stderr_meter("prompts");
  const ProgressFn progress = meter_progress(meter, o.model.quiet);
  const NeuronStudy study = run_neuron_study(model, request, progress);
  meter.finish();

  std::printf("%-22s %7s %7s %12s %12s %8s\n", "site", "units", "tested", ("higher " + request.label_a).c_str(),
              ("higher " + request.label_b).c_str(), "share");
  for (const SiteComparison& s : study.sites) {
    const SignificantUnits n = study.significant(s.units);
    std::printf("%-22s %7zu %7d %12d %12d %7.1f%%\n", s.site.name().c_str(), s.units.t.size(), s.units.tested, n.higher_a,
                n.higher_b, s.units.tested ? 100.0 * n.fdr() / s.units.tested : 0.0);
  }
  std::printf("significant: %s t-test, Benjamini-Hochberg FDR %g within each site\n", unit_test_name(request.test).c_str(),
              request.alpha);
  if (folder) {
    const RunContext context = run_context(o.model, is_demo_model(model_path(o.model)));
    publish_files(*folder, neuron_files(study, model, context));
  }
}

}  // namespace

void add_neurons_command(CLI::App& app) {
  auto o = std::make_shared<NeuronsOptions>();
  CLI::App* c = app.add_subcommand("neurons", "Units that tell two prompt sets apart: t-tests per unit with FDR, per block");
  add_model_options(*c, o->model);
  c->add_flag("--quiet", o->model.quiet, "No progress meter");
  c->add_option("--prompts-a", o->prompts_a, "The first prompt set (a prompt file: .txt, .jsonl, .csv)")->required();
  c->add_option("--prompts-b", o->prompts_b, "The second prompt set")->required();
  c->add_option("--labels", o->labels, "Names of the two sets, comma-separated: columns, the figure, units_file")
      ->capture_default_str();
  c->add_option("--sites", o->sites, "Hook sites, names or globs, comma-separated")->capture_default_str();
  c->add_option("--positions", o->positions,
                "Rows of each prompt (averaged per prompt): mask, last, all, word:WORD, indices like 1,3")
      ->capture_default_str();
  c->add_option("--positions-a", o->positions_a, "The first set's positions, instead of --positions (word:him)");
  c->add_option("--positions-b", o->positions_b, "The second set's positions, instead of --positions (word:her)");
  c->add_option("--test", o->test,
                "student (scipy's ttest_ind), welch (equal_var=False) or paired (ttest_rel: prompt i of each set)")
      ->capture_default_str();
  c->add_option("--alpha", o->alpha, "The false discovery rate, and Bonferroni's family-wise level")
      ->check(CLI::Range(1e-12, 0.999999))
      ->capture_default_str();
  c->add_option("--max-batch-tokens", o->max_batch_tokens, "Token rows per padded batch of prompts")
      ->check(whole_number(1, 1 << 24))
      ->capture_default_str();
  c->add_option("--out", o->out, "Output folder: neurons.json, units.csv, blocks.csv, neurons.svg, neurons.png");
  c->footer("Example (the course's him/her neurons):\n  bertscope neurons --prompts-a him.txt --prompts-b her.txt --labels him,her "
            "--positions-a word:him --positions-b word:her --out out/neurons\n"
            "Then ablate them: bertscope sweep --intervention zero --site mlp.post --units-file out/neurons/units.csv:him ...");
  c->callback([o] { run_neurons(*o); });
}

}  // namespace bertscope::cli
