// bertscope collect and bertscope neurons from the command line: the rows written are the
// forward pass's activations, the units file reads back as the edit's units, bad input is named.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "experiments/unit_selection.h"
#include "model/encoder.h"
#include "test_support.h"
#include "weights/safetensors_file.h"

namespace bertscope {
namespace {

using test::run_cli;

std::string tiny() { return test::reference_model("tiny-fp32"); }  // two blocks, the real vocabulary

const std::string kHim = "I saw him at the [MASK].\nWe told him and then him again.\nThe dog followed him home.\n";
const std::string kHer = "I saw her at the [MASK].\nWe told her the news.\nThe dog followed her home.\n";

template <typename T>
std::vector<T> values_of(const SafetensorsFile& file, const std::string& name, std::vector<int64_t>* shape = nullptr) {
  const TensorInfo* info = file.find(name);
  EXPECT_NE(info, nullptr) << name;
  if (!info) return {};
  if (shape) *shape = info->shape;
  std::vector<T> v(static_cast<size_t>(info->element_count()));
  std::memcpy(v.data(), file.bytes(*info).data(), v.size() * sizeof(T));
  return v;
}

TEST(CollectCli, RowsAreTheActivationsAtEveryOccurrenceOfTheWord) {
  test::TempDir dir;
  const std::string prompts = dir.write("him.txt", kHim), out = dir.file("him.safetensors");
  const auto r = run_cli({"collect", "--model", tiny(), "--dtype", "f32", "--quiet", "--prompts", prompts, "--sites",
                          "blocks.1.mlp.post,blocks.*.out", "--positions", "word:him", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4 rows (3 prompts at word:him)"), std::string::npos) << r.out;
  const auto file = SafetensorsFile::open(out);
  EXPECT_EQ(values_of<int64_t>(*file, "rows.prompt"), (std::vector<int64_t>{0, 1, 1, 2}));
  const std::vector<int64_t> positions = values_of<int64_t>(*file, "rows.position");

  // Each row is the site's vector at that position of its prompt's own forward pass.
  const Encoder model = Encoder::load(tiny(), MatmulPrecision::F32);
  std::vector<int64_t> shape;
  const std::vector<float> mlp = values_of<float>(*file, "blocks.1.mlp.post", &shape);
  ASSERT_EQ(shape, (std::vector<int64_t>{4, model.config().intermediate_size}));
  std::istringstream lines(kHim);
  size_t row = 0;
  for (std::string text; std::getline(lines, text);) {
    const Encoding e = model.tokenizer().encode(text);
    std::vector<float> site;
    Hooks hooks;
    hooks.add(HookSite::block(SiteKind::MlpPost, 1), [&](const HookSite&, ActivationView v) { site.assign(v.data, v.data + v.size()); });
    model.forward(TokenBatch::single(e.ids), &hooks);
    for (size_t p = 0; p < e.tokens.size(); ++p) {
      if (e.tokens[p] != "him") continue;
      EXPECT_EQ(positions[row], static_cast<int64_t>(p));
      const size_t width = static_cast<size_t>(shape[1]);
      EXPECT_TRUE(test::all_close(std::vector<float>(mlp.begin() + static_cast<std::ptrdiff_t>(row * width),
                                                     mlp.begin() + static_cast<std::ptrdiff_t>((row + 1) * width)),
                                  std::vector<float>(site.begin() + static_cast<std::ptrdiff_t>(p * width),
                                                     site.begin() + static_cast<std::ptrdiff_t>((p + 1) * width))))
          << row;
      ++row;
    }
  }
  EXPECT_EQ(row, 4u);
  // An earlier collect is replaced; any other file is not.
  EXPECT_EQ(run_cli({"collect", "--model", tiny(), "--quiet", "--prompts", prompts, "--sites", "blocks.0.out", "--positions",
                     "word:him", "--out", out}).exit_code, 0);
  const std::string other = dir.write("notes.safetensors", "not ours");
  const auto refused = run_cli({"collect", "--model", tiny(), "--quiet", "--prompts", prompts, "--sites", "blocks.0.out",
                                "--out", other});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("is not an earlier collect"), std::string::npos) << refused.err;
}

TEST(NeuronsCli, WritesEveryUnitAndAUnitsFileTheEditReads) {
  test::TempDir dir;
  const std::string him = dir.write("him.txt", kHim), her = dir.write("her.txt", kHer), out = dir.file("neurons");
  const auto r = run_cli({"neurons", "--model", tiny(), "--dtype", "f32", "--quiet", "--prompts-a", him, "--prompts-b", her,
                          "--labels", "him,her", "--positions-a", "word:him", "--positions-b", "word:her", "--sites",
                          "blocks.*.mlp.post", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Encoder model = Encoder::load(tiny(), MatmulPrecision::F32);
  std::ifstream units(out + "/units.csv");
  std::string line;
  std::getline(units, line);
  EXPECT_EQ(line.rfind("site,block,unit,higher_in,", 0), 0u) << line;
  size_t rows = 0, him_significant = 0;
  while (std::getline(units, line)) {
    ++rows;
    if (line.find(",him,") != std::string::npos && line.find(",true,") != std::string::npos) ++him_significant;
  }
  EXPECT_EQ(rows, static_cast<size_t>(model.layers()) * static_cast<size_t>(model.config().intermediate_size));
  for (const char* file : {"neurons.json", "blocks.csv", "neurons.svg", "neurons.png"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + file)) << file;
  }
  // The units file, read as an edit reads it: the him-significant units of each block.
  InterventionSpec zero = InterventionSpec::of_kind(InterventionKind::Zero);
  zero.units_file = out + "/units.csv:him";
  const UnitSelection selection = UnitSelection::of(zero, SiteKind::MlpPost);
  size_t selected = 0;
  for (int layer = 0; layer < model.layers(); ++layer) selected += selection.at(layer)->size();
  EXPECT_EQ(selected, him_significant);
  zero.units_file = out + "/units.csv:she";
  test::expect_error([&] { UnitSelection::of(zero, SiteKind::MlpPost); }, {"no unit is higher in a set labelled 'she'"});
  test::expect_error([&] { UnitSelection::of(zero, SiteKind::AttnOut); }, {"has no units of attn.out"});
}

TEST(NeuronsCli, BadInputIsNamed) {
  test::TempDir dir;
  const std::string him = dir.write("him.txt", kHim), her = dir.write("her.txt", kHer);
  auto fails_with = [&](std::vector<std::string> extra, const std::string& message) {
    std::vector<std::string> args{"neurons", "--model", tiny(), "--quiet", "--prompts-a", him, "--prompts-b", her};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_cli(args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("terminate"), std::string::npos);
  };
  fails_with({"--positions", "word:him"}, "prompt set b: prompt 1: positions word:him: the prompt has no \"him\"");
  fails_with({"--labels", "him"}, "--labels must be two names");
  fails_with({"--labels", "h m,her"}, "--labels must be two plain words");
  fails_with({"--test", "z"}, "--test must be one of student, welch, paired");
  fails_with({"--sites", "blocks.0.attn.pattern", "--positions", "all"}, "holds attention rows over keys");
  fails_with({"--sites", "blocks.9.out"}, "hook site blocks.9.out does not exist");
}

}  // namespace
}  // namespace bertscope

namespace bertscope {
namespace {

TEST(CliWroteLine, NamesAFewFilesAndCountsManyByKind) {
  test::TempDir dir;
  const std::string prompts =
      dir.write("p.jsonl", "{\"text\": \"a [MASK] b\", \"target\": \"the\"}\n{\"text\": \"the [MASK] is here\", \"target\": \"man\"}\n"
                           "{\"text\": \"we saw [MASK]\", \"target\": \"him\"}\n{\"text\": \"it was [MASK]\", \"target\": \"her\"}\n");
  const auto many = test::run_cli({"sweep", "--model", tiny(), "--quiet", "--prompts", prompts, "--intervention", "zero",
                                   "--out", dir.file("many")});
  ASSERT_EQ(many.exit_code, 0) << many.err;
  const size_t files = static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir.file("many")),
                                                         std::filesystem::directory_iterator()));
  ASSERT_GT(files, 12u);
  EXPECT_NE(many.out.find("wrote " + std::to_string(files) + " files to " + dir.file("many") + "/: 1 json"), std::string::npos)
      << many.out;
  EXPECT_NE(many.out.find(" svg"), std::string::npos) << many.out;
  EXPECT_NE(many.out.find("; open report.html"), std::string::npos) << many.out;
  EXPECT_EQ(many.out.find("prompt0.svg"), std::string::npos) << "past a dozen files, none is named";
  const auto few = test::run_cli({"lens", "--model", tiny(), "--prompt", "a [MASK] b", "--out", dir.file("few")});
  ASSERT_EQ(few.exit_code, 0) << few.err;
  EXPECT_NE(few.out.find("/: lens.json lens.csv lens.svg lens.png"), std::string::npos) << few.out;
}

}  // namespace
}  // namespace bertscope
