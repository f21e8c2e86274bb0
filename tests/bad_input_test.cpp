// The bad-input table: each way a downloaded model, a spec or a command line can be wrong,
// run through the real bertscope binary. Every row must end with exit code 1, one line on
// stderr, "bertscope: error: " and a message that names the file (or option) and holds the
// row's key text, nothing on stdout, and nothing left behind: no --out folder or file, no
// temporary. docs/troubleshooting.md lists the same rows with what to do about each.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>

#include "test_support.h"

namespace bertscope {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kPrompt = "Pay no attention to that man [MASK] the curtain!";

// ------------------------------------------------------------------ damaging a model copy

// A writable copy of a reference model folder.
fs::path copy_model(const fs::path& dir, const std::string& name) {
  const fs::path target = dir / name;
  fs::copy(test::reference_model(name), target);
  for (const auto& entry : fs::directory_iterator(target)) {
    fs::permissions(entry.path(), fs::perms::owner_read | fs::perms::owner_write);
  }
  return target;
}

uint64_t header_length(const std::string& bytes) {
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  return n;
}

// Rewrites the JSON header of a safetensors file through `edit`, keeping the data section.
void edit_header(const fs::path& file, const std::function<void(json&)>& edit) {
  const std::string bytes = test::read_bytes(file.string());
  const uint64_t n = header_length(bytes);
  json header = json::parse(bytes.substr(8, n));
  edit(header);
  const std::string text = header.dump();
  std::string out(8, '\0');
  const uint64_t length = text.size();
  std::memcpy(out.data(), &length, 8);
  test::write_bytes(file.string(), out + text + bytes.substr(8 + n));
}

// Overwrites element `index` of tensor `name` with the bytes of `value` (its dtype's width).
template <typename T>
void poke(const fs::path& file, const std::string& name, size_t index, T value) {
  std::string bytes = test::read_bytes(file.string());
  const uint64_t n = header_length(bytes);
  const json header = json::parse(bytes.substr(8, n));
  const size_t at = 8 + n + header[name]["data_offsets"][0].get<size_t>() + index * sizeof(T);
  std::memcpy(bytes.data() + at, &value, sizeof(T));
  test::write_bytes(file.string(), bytes);
}

void edit_config(const fs::path& model, const std::function<void(json&)>& edit) {
  json config = test::read_json((model / "config.json").string());
  edit(config);
  test::write_bytes((model / "config.json").string(), config.dump(2));
}

// The reference vocabulary with `edit` applied to its lines.
void edit_vocab(const fs::path& model, const std::function<void(std::vector<std::string>&)>& edit) {
  std::vector<std::string> lines;
  std::istringstream in(test::read_bytes((model / "vocab.txt").string()));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  edit(lines);
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  test::write_bytes((model / "vocab.txt").string(), text);
}

void remove_line(std::vector<std::string>& lines, const std::string& token) {
  lines.erase(std::find(lines.begin(), lines.end(), token));
}

// ------------------------------------------------------------------ the table

struct BadInput {
  std::string name;
  std::string model;                              // reference model to copy and damage; "" for none
  std::function<void(const fs::path&)> damage;    // edits the copy (may be empty)
  std::vector<std::string> args;                  // "{model}" / "{out}" / "{dir}" are filled in
  std::string expected;                           // key part of the message, same placeholders
};

// A valid sweep: the rows that damage a file run it; the others change one of its options.
std::vector<std::string> sweep() {
  return {"sweep",  "--model", "{model}", "--prompt", kPrompt, "--target", "behind", "--intervention", "zero",
          "--layers", "0",     "--out",   "{out}",    "--quiet"};
}

// The sweep above with the value of one option replaced.
std::vector<std::string> sweep_with(const std::string& option, const std::string& value) {
  std::vector<std::string> args = sweep();
  const auto it = std::find(args.begin(), args.end(), option);
  *(it + 1) = value;
  return args;
}

// The sweep above with more options, and with intervention `kind`.
std::vector<std::string> sweep_plus(const std::vector<std::string>& extra, const std::string& kind = "zero") {
  std::vector<std::string> args = sweep_with("--intervention", kind);
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// The sweep above over the prompt file {dir}/`file` instead of --prompt and --target.
std::vector<std::string> sweep_over(const std::string& file, const std::string& kind = "zero") {
  return {"sweep", "--model", "{model}", "--prompts", "{dir}/" + file, "--intervention", kind, "--layers", "0", "--out", "{out}",
          "--quiet"};
}

// Writes `text` to {dir}/`name` (the damage of the rows about prompt files and specs).
std::function<void(const fs::path&)> writes(const std::string& name, const std::string& text) {
  return [=](const fs::path& m) { test::write_bytes((m.parent_path() / name).string(), text); };
}

// A FIFO at `path`: reading one blocks until a writer comes, writing one until a reader does.
void make_fifo(const fs::path& path) {
  fs::remove(path);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
}

std::vector<std::string> stats(const std::string& low, const std::string& high) {
  return {"stats", "--model", "{model}", "--prompt", kPrompt, "--low", low, "--high", high, "--out", "{out}", "--quiet"};
}

const std::string kWord = "bert.embeddings.word_embeddings.weight";

std::vector<BadInput> cases() {
  const std::string st = "{model}/model.safetensors";
  const std::string cfg = "{model}/config.json";
  const std::string voc = "{model}/vocab.txt";
  return {
      // -------- model.safetensors
      {"TruncatedSafetensors", "tiny-fp32",
       [](const fs::path& m) { fs::resize_file(m / "model.safetensors", fs::file_size(m / "model.safetensors") / 2); },
       sweep(),
       st + ": tensor 'cls.predictions.bias' data offsets [3988096, 4110184] exceed the data section of 4008272 bytes"},
      {"SafetensorsShorterThanEightBytes", "tiny-fp32",
       [](const fs::path& m) { fs::resize_file(m / "model.safetensors", 5); }, sweep(),
       st + ": file is 5 bytes, too short for the 8-byte header length of a safetensors file"},
      {"HeaderLengthLargerThanFile", "tiny-fp32",
       [](const fs::path& m) {
         std::string bytes = test::read_bytes((m / "model.safetensors").string());
         const uint64_t huge = uint64_t{1} << 40;
         std::memcpy(bytes.data(), &huge, 8);
         test::write_bytes((m / "model.safetensors").string(), bytes);
       },
       sweep(), st + ": header length 1099511627776 exceeds file size 8026416"},
      {"GitLfsPointerInsteadOfWeights", "tiny-fp32",
       [](const fs::path& m) {
         // What a clone without git-lfs holds: "version " read as a little-endian u64 length.
         test::write_bytes((m / "model.safetensors").string(),
                           "version https://git-lfs.github.com/spec/v1\n"
                           "oid sha256:4b1b1ef2b0e7f6bd6a4a0fcf3bb1f8e04fbd7e7c0b3c4a5b6c7d8e9f0a1b2c3d\n"
                           "size 1340675298\n");
       },
       sweep(), st + ": header length 2336927755350992246 exceeds file size 135"},
      {"HeaderNotJson", "tiny-fp32",
       [](const fs::path& m) {
         std::string bytes = test::read_bytes((m / "model.safetensors").string());
         bytes[8] = '[';  // "{" -> "[": the object becomes a broken array
         test::write_bytes((m / "model.safetensors").string(), bytes);
       },
       sweep(), st + ": header is not valid JSON"},
      {"OverlappingDataOffsets", "tiny-fp32",
       [](const fs::path& m) {
         edit_header(m / "model.safetensors", [](json& h) {
           // The position embeddings claim the first bytes of the word embeddings.
           h["bert.embeddings.position_embeddings.weight"]["data_offsets"] = {0, 64 * 32 * 4};
         });
       },
       sweep(), st + ": tensors 'bert.embeddings.position_embeddings.weight' [0, 8192] and '" + kWord + "' [0, "},
      {"DataOffsetsOutOfRange", "tiny-fp32",
       [](const fs::path& m) {
         edit_header(m / "model.safetensors", [](json& h) { h["cls.predictions.bias"]["data_offsets"] = {8021480, 8143568}; });
       },
       sweep(),
       st + ": tensor 'cls.predictions.bias' data offsets [8021480, 8143568] exceed the data section of 8021480 bytes"},
      {"ByteCountDisagreesWithDtypeAndShape", "tiny-fp32",
       [](const fs::path& m) {
         edit_header(m / "model.safetensors", [](json& h) { h["cls.predictions.bias"]["shape"] = {30521}; });
       },
       sweep(), st + ": tensor 'cls.predictions.bias' has 122088 bytes at data offsets "},
      {"UnknownDtype", "tiny-fp32",
       [](const fs::path& m) {
         edit_header(m / "model.safetensors", [](json& h) { h["cls.predictions.bias"]["dtype"] = "F33"; });
       },
       sweep(), st + ": tensor 'cls.predictions.bias' has unknown dtype 'F33'"},
      {"IntegerDtypeForAWeight", "tiny-fp32",
       [](const fs::path& m) {
         edit_header(m / "model.safetensors", [](json& h) { h["cls.predictions.bias"]["dtype"] = "I32"; });
       },
       sweep(), st + ": tensor 'cls.predictions.bias' has dtype I32, expected a floating type (F32, F16, BF16 or F64)"},
      {"ShapeDisagreesWithConfig", "tiny-fp32",
       [](const fs::path& m) { edit_config(m, [](json& c) { c["intermediate_size"] = 65; }); }, sweep(),
       st + ": tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape [64, 32], config.json implies [65, 32]"},
      {"MissingTensor", "tiny-fp32",
       [](const fs::path& m) { edit_config(m, [](json& c) { c["num_hidden_layers"] = 3; }); }, sweep(),
       st + ": missing tensor 'bert.encoder.layer.2.attention.self.query.weight'"},
      {"NaNInF32Weights", "tiny-fp32",
       [](const fs::path& m) {
         poke(m / "model.safetensors", "bert.encoder.layer.1.output.dense.weight", 100,
              std::numeric_limits<float>::quiet_NaN());
       },
       sweep(),
       st + ": tensor 'bert.encoder.layer.1.output.dense.weight' holds NaN at element 100 of [32, 64]"},
      {"InfInF16Weights", "tiny-legacy-f16",
       [](const fs::path& m) { poke(m / "model.safetensors", "bert.embeddings.LayerNorm.gamma", 7, uint16_t{0xFC00}); },
       sweep(), st + ": tensor 'bert.embeddings.LayerNorm.gamma' holds -inf at element 7 of [48]"},
      {"SafetensorsIsAFifo", "tiny-fp32", [](const fs::path& m) { make_fifo(m / "model.safetensors"); }, sweep(),
       st + ": cannot read: not a regular file (a FIFO)"},
      {"ShardOutsideTheModelFolder", "tiny-fp32",
       [](const fs::path& m) {
         fs::rename(m / "model.safetensors", m / "model-00001-of-00001.safetensors");
         test::write_bytes((m / "model.safetensors.index.json").string(),
                           R"({"weight_map": {"cls.predictions.bias": "../../etc/passwd"}})");
       },
       sweep(),
       "{model}/model.safetensors.index.json: shard '../../etc/passwd' (for tensor 'cls.predictions.bias') is not a "
       "plain file name in the model folder"},
      // -------- config.json
      {"ConfigMissingField", "tiny-fp32",
       [](const fs::path& m) { edit_config(m, [](json& c) { c.erase("num_attention_heads"); }); }, sweep(),
       cfg + ": missing field 'num_attention_heads'"},
      {"ConfigZeroHeads", "tiny-fp32",
       [](const fs::path& m) { edit_config(m, [](json& c) { c["num_attention_heads"] = 0; }); }, sweep(),
       cfg + ": field 'num_attention_heads' is 0, expected 1 to 65536"},
      {"ConfigHiddenNotDivisibleByHeads", "tiny-fp32",
       [](const fs::path& m) { edit_config(m, [](json& c) { c["num_attention_heads"] = 5; }); }, sweep(),
       cfg + ": hidden_size 32 is not divisible by num_attention_heads 5"},
      {"ConfigBillionLayers", "tiny-fp32",
       [](const fs::path& m) { edit_config(m, [](json& c) { c["num_hidden_layers"] = 1000000000; }); }, sweep(),
       cfg + ": field 'num_hidden_layers' is 1000000000, expected 1 to 1000"},
      {"ConfigWrongType", "tiny-fp32",
       [](const fs::path& m) { edit_config(m, [](json& c) { c["hidden_size"] = "32"; }); }, sweep(),
       cfg + ": field 'hidden_size' must be an integer, got string \"32\""},
      {"ConfigDeeplyNested", "tiny-fp32",
       [](const fs::path& m) {
         // Used to overflow the stack while printing the value for this very message.
         std::string config = test::read_bytes((m / "config.json").string());
         const std::string deep = std::string(200000, '[') + std::string(200000, ']');
         config.replace(config.find("\"hidden_size\": 32"), 17, "\"hidden_size\": " + deep);
         test::write_bytes((m / "config.json").string(), config);
       },
       sweep(), cfg + ": field 'hidden_size' must be an integer, got array [[[[[[[["},
      {"ConfigTooLarge", "tiny-fp32",
       [](const fs::path& m) { fs::resize_file(m / "config.json", 17u << 20); }, sweep(),
       cfg + ": file is 17825792 bytes, over the limit of 16777216 bytes for this kind of file"},
      // A billion-scale vocabulary x hidden size must fail on the first shape check, before
      // anything sized by the config is allocated (9999999 x 65536 floats are 2.6 TB; an
      // attempt would end in std::bad_alloc, "internal error", exit code 2, not this line).
      {"AbsurdVocabTimesHiddenFailsBeforeAllocating", "tiny-fp32",
       [](const fs::path& m) {
         edit_config(m, [](json& c) {
           c["vocab_size"] = 9999999;
           c["hidden_size"] = 65536;
         });
       },
       sweep(), st + ": tensor '" + kWord + "' has shape [30522, 32], config.json implies [9999999, 65536]"},
      {"VocabSizeOfConfigLargerThanTheFile", "tiny-fp32",
       [](const fs::path& m) { edit_config(m, [](json& c) { c["vocab_size"] = 9999999; }); }, sweep(),
       st + ": tensor '" + kWord + "' has shape [30522, 32], config.json implies [9999999, 32]"},
      // -------- vocab.txt
      {"EmptyVocab", "tiny-fp32", [](const fs::path& m) { test::write_bytes((m / "vocab.txt").string(), ""); }, sweep(),
       voc + ": vocabulary is empty"},
      {"DuplicateVocabLine", "tiny-fp32",
       [](const fs::path& m) { edit_vocab(m, [](auto& lines) { lines[2000] = "the"; }); }, sweep(),
       voc + ": duplicate token \"the\" on line 2001 (first on line 1997)"},
      {"VocabWithoutMask", "tiny-fp32",
       [](const fs::path& m) { edit_vocab(m, [](auto& lines) { remove_line(lines, "[MASK]"); }); }, sweep(),
       voc + ": vocabulary lacks special token(s) [MASK]"},
      {"VocabWithoutUnk", "tiny-fp32",
       [](const fs::path& m) { edit_vocab(m, [](auto& lines) { remove_line(lines, "[UNK]"); }); }, sweep(),
       voc + ": vocabulary lacks special token(s) [UNK]"},
      {"VocabLargerThanConfig", "tiny-fp32",
       [](const fs::path& m) { edit_config(m, [](json& c) { c["vocab_size"] = 30000; }); }, sweep(),
       voc + ": 30522 tokens, but config.json vocab_size is 30000"},
      // -------- prompts, targets, layers
      {"PromptWithoutMask", "", {}, sweep_with("--prompt", "Pay no attention to that man behind the curtain!"),
       "prompt has no [MASK] token: \"Pay no attention to that man behind the curtain!\""},
      {"PromptWithTwoMasks", "", {}, sweep_with("--prompt", "[MASK] and [MASK]"),
       "prompt has 2 [MASK] tokens; this command reads the prediction at one: \"[MASK] and [MASK]\""},
      {"ControlCharactersStayOnOneLine", "", {}, sweep_with("--prompt", "line one\nline two\x1b[2J"),
       "prompt has no [MASK] token: \"line one\\nline two\\x1B[2J\""},
      {"TargetNotInVocabulary", "", {}, sweep_with("--target", "\xe2\x98\x83"),
       "target \"\xe2\x98\x83\" is not one word piece of the vocabulary (it tokenizes to: [UNK])"},
      {"TargetOfSeveralWordPieces", "", {}, sweep_with("--target", "unbelievably"),
       "target \"unbelievably\" is not one word piece of the vocabulary (it tokenizes to: un ##bel ##ie ##va ##bly)"},
      {"UnknownIntervention", "", {}, sweep_with("--intervention", "blur"),
       "--intervention 'blur' is not one of shuffle, noise, scale, zero, skip, mix, patch, mean, median, uniform, attend, steer, project, pca"},
      {"HeadsAtASiteWithoutHeads", "", {}, [] {
         auto args = sweep();
         for (const char* a : {"--heads", "1"}) args.push_back(a);
         return args;
       }(),
       "--heads selects heads at the per-head sites (attn.q, attn.k, attn.v, attn.scores, attn.pattern, attn.z, "
       "attn.head_out), not at out"},
      {"HeadOutOfRange", "", {}, [] {
         auto args = sweep_with("--intervention", "zero");
         for (const char* a : {"--heads", "4", "--site", "attn.z"}) args.push_back(a);
         return args;
       }(),
       "--heads: head 4 is out of range (the model has heads 0-3)"},
      {"MeanPromptsFileMissing", "", {}, [] {
         auto args = sweep_with("--intervention", "mean");
         for (const char* a : {"--mean-prompts", "{dir}/none.txt"}) args.push_back(a);
         return args;
       }(),
       "{dir}/none.txt: cannot read: No such file or directory"},
      {"PatternEditAtAnotherSite", "", {}, sweep_with("--intervention", "uniform"),
       "--site must be attn.pattern for uniform, which edits attention patterns, not out"},
      {"PatchGridOfPromptsOfDifferentLengths", "", {},
       {"patch-grid", "--model", "{model}", "--prompt", kPrompt, "--other-prompt", "a [MASK] b", "--target", "behind",
        "--out", "{out}"},
       "the clean prompt has 12 tokens and the corrupted one 5 (with [CLS] and [SEP]): patching copies position by "
       "position, so they need the same length"},
      {"PatchGridUnitsAndADirection", "", {},
       {"patch-grid", "--model", "{model}", "--prompt", kPrompt, "--other-prompt", kPrompt, "--target", "behind",
        "--units", "1", "--direction-file", "v.npy"},
       "--units and direction_file both choose the part of each vector that is patched; give one of them"},
      {"PatchGridSubspaceOfAHead", "", {},
       {"patch-grid", "--model", "{model}", "--prompt", kPrompt, "--other-prompt", kPrompt, "--target", "behind",
        "--heads", "--basis-file", "b.npy"},
       "--basis-file patches a direction or subspace of one position's vector (out, attn.out, mlp.out, mlp.post, ...), "
       "not of the per-head attn.z; select units of each head's slice there instead"},
      {"DumpSitePatternMatchingNothing", "", {},
       {"dump", "--model", "{model}", "--sites", "blocks.*.attn.probs", "--out", "{out}", kPrompt},
       "hook site pattern 'blocks.*.attn.probs' matches no site of this model, which has 2 blocks"},
      {"MixWithoutOtherPrompt", "", {}, sweep_with("--intervention", "mix"),
       "--other-prompt is needed by mix: the prompt whose hidden state is mixed or patched in"},
      {"LayerOutOfRange", "", {}, sweep_with("--layers", "2"),
       "--layers '2': block 2 is out of range (the model has blocks 0-1)"},
      {"PromptLongerThanMaxPositions", "", {}, sweep_with("--prompt", "[MASK]" + [] {
         std::string words;
         for (int i = 0; i < 70; ++i) words += " word";
         return words;
       }()),
       "input has 73 tokens with [CLS] and [SEP], the model's maximum is 64 (max_position_embeddings)"},
      {"RepeatedPositions", "", {}, sweep_plus({"--positions", "7,7"}, "scale"),
       "--positions '7,7' lists token 7 twice; each position is edited once"},
      {"RepeatedHeads", "", {}, sweep_plus({"--site", "attn.z", "--heads", "1,1"}, "scale"),
       "--heads '1,1' lists head 1 twice; each head is edited once"},
      {"AttendToForAnotherKind", "", {}, sweep_plus({"--attend-to", "2"}),
       "--attend-to is only used by attend, not by zero"},
      {"LayersAtTheEmbeddings", "", {},
       [] {
         std::vector<std::string> args = sweep_with("--layers", "3");
         args.insert(args.end(), {"--site", "embed.out"});
         return args;
       }(),
       "--layers is not used at embed.out: the embeddings are edited once, before block 0"},
      {"FactorThatTheKindIgnores", "", {}, sweep_plus({"--factor", "3"}),
       "--factor is only used by noise, scale, mix, steer and set, not by zero"},
      {"PositionsForSkip", "", {}, sweep_plus({"--positions", "1"}, "skip"),
       "--positions is not used by skip: it skips whole blocks, every position"},
      {"SiteForSkip", "", {}, sweep_plus({"--site", "attn.out"}, "skip"),
       "--site is not used by skip: it skips whole blocks"},
      {"StdOfForScale", "", {}, sweep_plus({"--std-of", "layer"}, "scale"),
       "--std-of is only used by noise, not by scale"},
      {"FactorGivingNaNLogits", "", {}, sweep_plus({"--factor", "1e38"}, "scale"),
       "scale 1e+38 at block 0 (trial 0): the logits are NaN or infinite"},
      {"HistogramRangeAtDoubleResolution", "", {}, stats("2", "2.0000000000000004"),
       "stats: distributions high - low is 4.44e-16, too narrow: it must be at least 1e-6 x the largest of 1, abs(low) "
       "and abs(high)"},
      // -------- prompt files
      {"PromptFileUnknownKey", "", writes("p.jsonl", "{\"text\": \"a [MASK]\", \"target\": \"the\"}\n{\"txt\": \"b\"}\n"),
       sweep_over("p.jsonl"), "{dir}/p.jsonl:2: unknown key \"txt\" (the keys are text, target, foil, other_prompt, id, positions)"},
      {"PromptFileNotJson", "", writes("p.jsonl", "\n{\"text\": \"a [MASK]\"\n"), sweep_over("p.jsonl"),
       "{dir}/p.jsonl:2: not valid JSON (column 20: syntax error while parsing object"},
      {"PromptFileValueNotAString", "", writes("p.ndjson", "{\"text\": \"a [MASK]\", \"id\": 7}\n"), sweep_over("p.ndjson"),
       "{dir}/p.ndjson:1: \"id\" must be a string, not number 7"},
      {"PromptFileDuplicateId", "",
       writes("p.jsonl", "{\"text\": \"a [MASK]\", \"target\": \"the\", \"id\": \"x\"}\n\n"
                         "{\"text\": \"b [MASK]\", \"target\": \"the\", \"id\": \"x\"}\n"),
       sweep_over("p.jsonl"), "{dir}/p.jsonl:3: duplicate id \"x\" (first at {dir}/p.jsonl:1)"},
      {"PromptFileCsvFieldCount", "", writes("p.csv", "text,target\n\"a, [MASK]\",the\nb [MASK],the,c\n"), sweep_over("p.csv"),
       "{dir}/p.csv:3: 3 field(s), but the header has 2"},
      {"PromptFileCsvUnknownColumn", "", writes("p.csv", "text,prompt\na [MASK],b\n"), sweep_over("p.csv"),
       "{dir}/p.csv:1: unknown column \"prompt\" in the header"},
      {"PromptFileCsvWithoutText", "", writes("p.csv", "target\nthe\n"), sweep_over("p.csv"),
       "{dir}/p.csv:1: the header has no text column"},
      {"PromptFileCsvQuoteNotClosed", "", writes("p.csv", "text\n\"a [MASK]\n"), sweep_over("p.csv"),
       "{dir}/p.csv:2: a quoted field is not closed"},
      {"PromptFileRowWithoutText", "", writes("p.jsonl", "{\"target\": \"the\"}\n"), sweep_over("p.jsonl"),
       "{dir}/p.jsonl:1: the text is empty or missing (every prompt needs a text)"},
      {"PromptFileEmpty", "", writes("p.jsonl", "\n"), sweep_over("p.jsonl"), "{dir}/p.jsonl: no prompt in the file"},
      {"PromptFileUnknownExtension", "", writes("p.tsv", "text\n"), sweep_over("p.tsv"),
       "{dir}/p.tsv: cannot tell the prompt file's format from its name: name it .jsonl or .ndjson (JSON Lines), .csv "
       "(CSV with a header) or .txt (one text per line)"},
      {"PromptFileRowWithoutMask", "",
       writes("p.jsonl", "{\"text\": \"a [MASK]\", \"target\": \"the\"}\n{\"text\": \"a b\", \"target\": \"the\", \"id\": \"q7\"}\n"),
       sweep_over("p.jsonl"), "prompt \"q7\": prompt has no [MASK] token: \"a b\""},
      {"PromptFileSomeRowsWithoutOtherPrompt", "",
       writes("p.jsonl", "{\"text\": \"a [MASK]\", \"target\": \"the\", \"other_prompt\": \"b [MASK]\"}\n"
                         "{\"text\": \"c [MASK]\", \"target\": \"the\"}\n"),
       sweep_over("p.jsonl", "patch"),
       "prompt \"2\" has no other_prompt for patch, and the intervention has none of its own: give every prompt one, or the "
       "intervention one"},
      {"PromptAndPromptsFile", "", writes("p.jsonl", "{\"text\": \"a [MASK]\"}\n"),
       [] {
         auto args = sweep_plus({"--prompts", "{dir}/p.jsonl"});
         args.erase(std::find(args.begin(), args.end(), "--target"), std::find(args.begin(), args.end(), "--target") + 2);
         return args;
       }(),
       "give --prompt TEXT or --prompts FILE, not both"},
      {"TargetWithPromptsFile", "", writes("p.jsonl", "{\"text\": \"a [MASK]\"}\n"),
       [] {
         auto args = sweep_over("p.jsonl");
         args.insert(args.end(), {"--target", "the"});
         return args;
       }(),
       "--target goes with --prompt; with --prompts each row gives its target"},
      {"SpecWithPromptsAndPromptsFile", "",
       writes("spec.toml", "prompts_file = \"p.jsonl\"\n[[prompts]]\ntext = \"a [MASK]\"\n[distributions]\n"),
       {"run", "--model", "{model}", "--out", "{out}", "{dir}/spec.toml"},
       "{dir}/spec.toml: give [[prompts]] or prompts_file, not both"},
      {"SpecPromptsFileBadRowNamesTheFileBesideTheSpec", "",
       [](const fs::path& m) {
         fs::create_directory(m.parent_path() / "specs");
         test::write_bytes((m.parent_path() / "specs" / "spec.toml").string(), "prompts_file = \"p.csv\"\n[distributions]\n");
         test::write_bytes((m.parent_path() / "specs" / "p.csv").string(), "text\nok [MASK]\nsay \"hi\"\n");
       },
       {"run", "--model", "{model}", "--out", "{out}", "{dir}/specs/spec.toml"},
       "{dir}/specs/p.csv:3: a quote inside an unquoted field; quote the whole field and write the quote as \"\""},
      // -------- the command line
      {"UnknownOption", "", {}, sweep_plus({"--bogus"}), "The following argument was not expected: --bogus"},
      {"UnknownCommand", "", {}, {"frobnicate"},
       "unknown command 'frobnicate'; the commands are predict, tokenize, dump, sweep, stats, run, merge, patch-grid, attribute, saliency, lens, collect, neurons, hooks"},
      {"MissingOptionValue", "", {}, sweep_plus({"--trials"}), "--trials: 1 required INT in [1 - 10000000] missing"},
      {"MissingRequiredOption", "", {}, {"sweep", "--model", "{model}", "--prompt", kPrompt, "--out", "{out}"},
       "--intervention is required"},
      {"MissingTarget", "", {}, {"sweep", "--model", "{model}", "--prompt", kPrompt, "--intervention", "zero", "--out", "{out}"},
       "--target is required with --prompt"},
      {"NegativeSeed", "", {}, sweep_plus({"--seed", "-1"}),
       "--seed must be a whole number from 0 to 18446744073709551615, not '-1'"},
      {"SeedBeyond64Bits", "", {}, sweep_plus({"--seed", "18446744073709551616"}),
       "--seed must be a whole number from 0 to 18446744073709551615, not '18446744073709551616'"},
      {"EmptySeed", "", {}, sweep_plus({"--seed", ""}), "--seed must be a whole number from 0 to 18446744073709551615, not ''"},
      {"FractionalTrials", "", {}, sweep_plus({"--trials", "1.5"}), "--trials must be a whole number from 1 to 10000000, not '1.5'"},
      {"ShardNoneOfNone", "", {}, {"run", "--model", "{model}", "--shard", "0/0", "--out", "{out}", "{dir}/spec.toml"},
       "'0/0' is not K/N with 0 <= K < N <= 1000000 (shards are numbered from 0, as $SLURM_ARRAY_TASK_ID: 0/4 to 3/4)"},
      {"ShardBeyondTheLast", "", {}, {"run", "--model", "{model}", "--shard", "3/3", "--out", "{out}", "{dir}/spec.toml"},
       "'3/3' is not K/N with 0 <= K < N <= 1000000 (shards are numbered from 0, as $SLURM_ARRAY_TASK_ID: 0/4 to 3/4)"},
      {"NegativeShard", "", {}, {"run", "--model", "{model}", "--shard", "-1/2", "--out", "{out}", "{dir}/spec.toml"},
       "'-1/2' is not K/N with 0 <= K < N <= 1000000 (shards are numbered from 0, as $SLURM_ARRAY_TASK_ID: 0/4 to 3/4)"},
      {"ShardOfZero", "", {}, {"run", "--model", "{model}", "--shard", "1/0", "--out", "{out}", "{dir}/spec.toml"},
       "'1/0' is not K/N with 0 <= K < N <= 1000000 (shards are numbered from 0, as $SLURM_ARRAY_TASK_ID: 0/4 to 3/4)"},
      {"ShardNotANumber", "", {}, {"run", "--model", "{model}", "--shard", "text", "--out", "{out}", "{dir}/spec.toml"},
       "'text' is not K/N with 0 <= K < N <= 1000000 (shards are numbered from 0, as $SLURM_ARRAY_TASK_ID: 0/4 to 3/4)"},
      {"NaNFactor", "", {}, sweep_plus({"--factor", "nan"}, "scale"), "--factor must be a finite number, not 'nan'"},
      {"PredictWithoutMask", "", {}, {"predict", "--model", "{model}", "no mask here"},
       "the text has no [MASK] token: nothing to predict"},
      {"MissingModelFolder", "", {}, {"predict", "--model", "{dir}/no-such-model", kPrompt},
       "{dir}/no-such-model: no such file or directory"},
      // -------- output
      {"OutUnderARegularFile", "", [](const fs::path& m) { test::write_bytes((m.parent_path() / "file").string(), "x"); },
       sweep_with("--out", "{dir}/file/out"),
       "{dir}/file/out: cannot create the output folder ({dir}/file exists and is not a folder)"},
      {"OutUnderProc", "", {}, sweep_with("--out", "/proc/bertscope-test-out"),
       "/proc/bertscope-test-out: cannot create the output folder (cannot create a file beside it: No such file or "
       "directory)"},
      {"DumpIntoMissingFolder", "", {}, {"dump", "--model", "{model}", "--out", "{dir}/missing/out.safetensors", kPrompt},
       "{dir}/missing/out.safetensors: cannot create temporary file"},
      {"DumpOutIsAFifo", "", [](const fs::path& m) { make_fifo(m.parent_path() / "fifo"); },
       {"dump", "--model", "{model}", "--out", "{dir}/fifo", kPrompt},
       "{dir}/fifo: is a FIFO; bertscope writes only regular files it creates or replaces (choose another path)"},
      {"DumpOutIsASymlink", "",
       [](const fs::path& m) {
         test::write_bytes((m.parent_path() / "precious").string(), "keep me");
         fs::create_symlink(m.parent_path() / "precious", m.parent_path() / "link");
       },
       {"dump", "--model", "{model}", "--out", "{dir}/link", kPrompt}, "{dir}/link: is a symbolic link; bertscope writes"},
      // A device node goes the same way (AtomicFile.RefusesToReplaceAnythingButARegularFile); it
      // has no row here because a binary without the check, run as root, replaces /dev/null.
      {"OutIsASymlink", "",
       [](const fs::path& m) {
         fs::create_directory(m.parent_path() / "real");
         fs::create_directory_symlink(m.parent_path() / "real", m.parent_path() / "out");
       },
       sweep(), "{out}: cannot create the output folder (it is a symbolic link; give the folder it points to)"},
      {"OutHoldsOtherFiles", "",
       [](const fs::path& m) {
         fs::create_directory(m.parent_path() / "out");
         test::write_bytes((m.parent_path() / "out" / "thesis.tex").string(), "years of work");
       },
       sweep(),
       "{out}: cannot create the output folder (it exists and is not an earlier bertscope output folder (no "
       "results.json, patch-grid.json, lens.json or shard.json); choose a new or empty folder)"},
      // -------- experiment specs
      {"SpecWithUnknownKey", "",
       [](const fs::path& m) {
         test::write_bytes((m.parent_path() / "spec.toml").string(),
                           "trails = 3\n[[prompts]]\ntext = \"a [MASK]\"\ntarget = \"the\"\n[[interventions]]\nkind = \"zero\"\n");
       },
       {"run", "--model", "{model}", "--out", "{out}", "{dir}/spec.toml"}, "{dir}/spec.toml:1: trails is not a known key"},
      {"SpecWithoutPrompts", "",
       [](const fs::path& m) { test::write_bytes((m.parent_path() / "bad.toml").string(), "trials = 3\n"); },
       {"run", "--model", "{model}", "--out", "{out}", "{dir}/bad.toml"}, "{dir}/bad.toml: experiment: no prompt given"},
      {"SpecWithZeroTrials", "",
       [](const fs::path& m) {
         test::write_bytes((m.parent_path() / "bad.toml").string(),
                           "trials = 0\n[[prompts]]\ntext = \"a [MASK]\"\ntarget = \"the\"\n[[interventions]]\nkind = \"noise\"\n");
       },
       {"run", "--model", "{model}", "--out", "{out}", "{dir}/bad.toml"},
       "{dir}/bad.toml:1: trials must be a whole number from 1 to 10000000, not 0"},
      {"SpecIsAFifo", "", [](const fs::path& m) { make_fifo(m.parent_path() / "spec.toml"); },
       {"run", "--model", "{model}", "--out", "{out}", "{dir}/spec.toml"},
       "{dir}/spec.toml: cannot read: not a regular file (a FIFO)"},
      {"SpecNestedTooDeep", "",
       [](const fs::path& m) {
         std::string key = "a";
         for (int i = 0; i < 20000; ++i) key += ".a";  // 40 KB: overflowed toml++'s stack (exit 139)
         test::write_bytes((m.parent_path() / "spec.toml").string(), key + " = 1\n");
       },
       {"run", "--model", "{model}", "--out", "{out}", "{dir}/spec.toml"},
       "{dir}/spec.toml:1: nesting deeper than 32 levels (dotted keys, tables, arrays); an experiment spec needs 3"},
      {"SpecNotFound", "", {}, {"run", "--model", "{model}", "{dir}/absent.toml"},
       "{dir}/absent.toml: cannot read: No such file or directory"},
      {"SpecWithInfiniteHistogramRange", "",
       [](const fs::path& m) {
         test::write_bytes((m.parent_path() / "spec.toml").string(),
                           "[[prompts]]\ntext = \"a [MASK]\"\n[distributions]\nlow = -inf\n");
       },
       {"run", "--model", "{model}", "--out", "{out}", "{dir}/spec.toml"},
       "{dir}/spec.toml:4: distributions.low must be a finite number"},
  };
}

std::string fill(std::string text, const std::string& model, const std::string& out, const std::string& dir) {
  for (const auto& [key, value] : {std::pair{"{model}", model}, {"{out}", out}, {"{dir}", dir}}) {
    for (size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, std::strlen(key), value);
  }
  return text;
}

// Files under `root` that a failed run must not leave: its output (unless it was there
// before), temporaries, staging folders, lock files.
std::vector<std::string> leftovers(const fs::path& root, const fs::path& out, bool out_existed) {
  std::vector<std::string> found;
  if (!out_existed && fs::exists(fs::symlink_status(out))) found.push_back(out.string());
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos || name.find(".bertscope-") != std::string::npos)
      found.push_back(entry.path().string());
  }
  return found;
}

// Failure output names the row, not its bytes.
void PrintTo(const BadInput& row, std::ostream* os) { *os << row.name; }

class BadInputTable : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTable, OneLineNamingTheProblemAndNothingWritten) {
  const BadInput& c = GetParam();
  test::TempDir dir;
  const fs::path model = c.model.empty() ? dir.path() / "model" : copy_model(dir.path(), c.model);
  if (c.model.empty()) fs::copy(test::reference_model("tiny-fp32"), model);  // untouched
  if (c.damage) c.damage(model);
  const std::string out = (dir.path() / "out").string();
  const bool out_existed = fs::exists(fs::symlink_status(out));

  std::vector<std::string> args;
  for (const auto& a : c.args) args.push_back(fill(a, model.string(), out, dir.path().string()));
  const test::CommandResult r = test::run_cli(args);
  const std::string expected = fill(c.expected, model.string(), out, dir.path().string());

  // The line as printed, in the --gtest_output report: docs/troubleshooting.md quotes these.
  RecordProperty("stderr", r.err);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("bertscope: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << "expected: " << expected << "\nstderr:   " << r.err;
  EXPECT_EQ(leftovers(dir.path(), out, out_existed), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(dir.path() / "missing"));  // dump's --out folder is not created either
}

INSTANTIATE_TEST_SUITE_P(Cli, BadInputTable, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<BadInput>& row) { return row.param.name; });

// docs/troubleshooting.md (the README's Troubleshooting section points to it) quotes each
// row's message, with the model folder shown as ~/models/bert: when a message changes, so
// must the page users read.
TEST(BadInputDocs, ReadmeQuotesEveryMessage) {
  const std::string section = test::read_bytes(std::string(BERTSCOPE_TEST_DATA) + "/../../docs/troubleshooting.md");
  for (const BadInput& row : cases()) {
    if (row.expected.find("{out}") != std::string::npos || row.expected.find("{dir}") != std::string::npos) continue;
    const std::string quoted = fill(row.expected, "~/models/bert", "", "");
    EXPECT_NE(section.find(quoted), std::string::npos) << row.name << ": docs/troubleshooting.md lacks\n  " << quoted;
  }
}

// ------------------------------------------------------------------ accepted, not refused

// config.json's vocab_size above the lines of vocab.txt is legitimate (checkpoints pad the
// embeddings to a multiple of 8 or 64). A prediction landing on such a row used to end in
// "internal error: vector::_M_range_check" (exit code 2) when the result named the token.
TEST(BadInputAccepted, EmbeddingRowsBeyondTheVocabularyHaveNames) {
  test::TempDir dir;
  const fs::path model = copy_model(dir.path(), "tiny-fp32");
  std::vector<std::string> kept;
  edit_vocab(model, [&](auto& lines) {
    lines.resize(25000);
    kept = lines;
  });
  const auto r = test::run_cli({"predict", "--model", model.string(), "--json", "--top", "30522", kPrompt});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int beyond = 0;
  const json out = json::parse(r.out);  // named: a range-for over a temporary's member dangles
  ASSERT_EQ(out["masks"][0]["top"].size(), 30522u);
  for (const auto& t : out["masks"][0]["top"]) {
    const int id = t["id"];
    const std::string expected = id < 25000 ? kept[static_cast<size_t>(id)] : "[id " + std::to_string(id) + "]";
    EXPECT_EQ(t["token"], expected) << id;
    beyond += id >= 25000;
  }
  EXPECT_EQ(beyond, 30522 - 25000);
  const auto sweep = test::run_cli({"sweep", "--model", model.string(), "--prompt", kPrompt, "--target", "behind",
                                    "--intervention", "noise", "--trials", "3", "--top", "1000", "--out",
                                    dir.file("out"), "--quiet"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  EXPECT_NE(test::read_bytes(dir.file("out/runs.csv")).find("[id "), std::string::npos);
}

// Command-line text is bytes, not always valid UTF-8: it is refused where it is read, one
// rule for every command (issue 25), instead of ending in "internal error: invalid UTF-8
// byte", exit 2, or being replaced by U+FFFD and no longer being the text given.
TEST(BadInputAccepted, InvalidUtf8InTheTextIsRefusedWhereItIsRead) {
  test::TempDir dir;
  const std::string text = "caf\xff [MASK].";
  const auto predict = test::run_cli({"predict", "--model", test::reference_model("tiny-fp32"), "--json", text});
  EXPECT_EQ(predict.exit_code, 1) << predict.err;
  EXPECT_NE(predict.err.find("not valid UTF-8 (byte 0xFF at byte 3)"), std::string::npos) << predict.err;
  // A text that reaches result files (CSV for pandas, JSON, HTML) is refused where it is
  // read instead (issue 25): replaced, it would no longer be the prompt that was given.
  const auto sweep = test::run_cli({"sweep", "--model", test::reference_model("tiny-fp32"), "--prompt", text, "--target",
                                    "the", "--intervention", "zero", "--layers", "0", "--out", dir.file("out"), "--quiet"});
  EXPECT_EQ(sweep.exit_code, 1) << sweep.err;
  EXPECT_NE(sweep.err.find("--prompt TEXT: the text is not valid UTF-8 (byte 0xFF at byte 3)"), std::string::npos) << sweep.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("out")));
}

// ------------------------------------------------------------------ interrupted runs

// The shell command of a long sweep into `out` (200 000 noise trials), in the background.
std::string long_sweep(const std::string& out) {
  return test::shell_quote(BERTSCOPE_CLI) + " sweep --model " + test::shell_quote(test::reference_model("tiny-fp32")) +
         " --prompt " + test::shell_quote(kPrompt) + " --target the --intervention noise --trials 200000 --quiet --out " +
         test::shell_quote(out) + " >/dev/null 2>&1 & pid=$!; ";
}

// The first line `command` prints, as a number (-1 when it printed nothing).
int shell_number(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  char buffer[64] = {0};
  const bool answered = fgets(buffer, sizeof buffer, pipe) != nullptr;
  pclose(pipe);
  return answered ? std::atoi(buffer) : -1;
}

// Starts a long sweep into `out`, sends it `signal_name` after a second; its exit code.
int interrupted_sweep_exit_code(const std::string& out, const std::string& signal_name = "INT") {
  return shell_number(long_sweep(out) + "sleep 1; kill -" + signal_name + " $pid; wait $pid; echo $?");
}

struct EndingSignal {
  const char* name;
  int number;
};

class BadInputInterrupt : public ::testing::TestWithParam<EndingSignal> {};

// A signal in the middle of a long sweep: the process ends with 128 + the signal, and the
// output folder, which the run created before loading the model, is gone again: no
// half-written results, no temporaries, no staging folder, no lock file, no empty folder.
// SIGINT and SIGTERM always were; SIGHUP (a closed terminal), SIGPIPE (`| head -1`) and
// SIGQUIT left the folder behind.
TEST_P(BadInputInterrupt, InterruptedSweepLeavesNothing) {
  test::TempDir dir;
  const std::string out = dir.file("a/b/out");
  EXPECT_EQ(interrupted_sweep_exit_code(out, GetParam().name), 128 + GetParam().number);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

// Into an existing folder with earlier results: those stay whole and nothing is added.
TEST_P(BadInputInterrupt, InterruptedSweepKeepsEarlierResults) {
  test::TempDir dir;
  const std::string out = dir.file("out");
  fs::create_directory(out);
  test::write_bytes(dir.file("out/results.json"), "{\"earlier\": true}\n");
  EXPECT_EQ(interrupted_sweep_exit_code(out, GetParam().name), 128 + GetParam().number);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path())) names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"out"});  // no staging folder, no lock file beside it
  names.clear();
  for (const auto& entry : fs::directory_iterator(out)) names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"results.json"});
  EXPECT_EQ(test::read_bytes(dir.file("out/results.json")), "{\"earlier\": true}\n");
}

INSTANTIATE_TEST_SUITE_P(Signals, BadInputInterrupt,
                         ::testing::Values(EndingSignal{"INT", SIGINT}, EndingSignal{"TERM", SIGTERM},
                                           EndingSignal{"HUP", SIGHUP}, EndingSignal{"PIPE", SIGPIPE},
                                           EndingSignal{"QUIT", SIGQUIT}),
                         [](const ::testing::TestParamInfo<EndingSignal>& s) { return std::string(s.param.name); });

// A run into a folder that another run is writing fails at once (both used to exit 0 with
// their files interleaved), and the first run is not disturbed.
TEST(BadInputConcurrency, SecondRunIntoTheSameFolderFailsAtOnce) {
  test::TempDir dir;
  const std::string out = dir.file("out");
  const std::string second = test::shell_quote(BERTSCOPE_CLI) + " sweep --model " +
                             test::shell_quote(test::reference_model("tiny-fp32")) + " --prompt " +
                             test::shell_quote(kPrompt) + " --target the --intervention zero --quiet --out " +
                             test::shell_quote(out) + " 2>" + test::shell_quote(dir.file("err")) + " >/dev/null";
  const int code = shell_number(long_sweep(out) + "sleep 1; " + second + "; echo $?; kill -INT $pid; wait $pid");
  EXPECT_EQ(code, 1);
  const std::string err = test::read_bytes(dir.file("err"));
  EXPECT_EQ(err.rfind("bertscope: error: " + out + ": another bertscope run is writing this output folder", 0), 0u) << err;
  fs::remove(dir.file("err"));
  EXPECT_TRUE(fs::is_empty(dir.path()));  // the first run, interrupted, left nothing either
}

// Options that are legal but need more memory than the process may have are refused before
// the run, naming the estimate and the limit (they used to end in "internal error:
// std::bad_alloc", exit 2, after seconds of work).
TEST(BadInputMemory, RunThatCannotFitIsRefusedBeforeItStarts) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer reserves terabytes of shadow address space at start, so no program of
  // a sanitized build starts under `ulimit -v`; the plain build runs this test.
  GTEST_SKIP() << "ulimit -v and AddressSanitizer's shadow memory do not mix";
#endif
  test::TempDir dir;
  // Streamed, 2 x 10^7 trials hold 64 bytes each (1.3 GB): refused under 1 GB.
  const std::string command = "ulimit -v 1000000; " + test::shell_quote(BERTSCOPE_CLI) + " sweep --model " +
                              test::shell_quote(test::reference_model("tiny-fp32")) + " --prompt " +
                              test::shell_quote(kPrompt) + " --target the --intervention noise --trials 10000000 " +
                              "--quiet --out " + test::shell_quote(dir.file("out")) + " 2>" +
                              test::shell_quote(dir.file("err")) + " >/dev/null; echo $?";
  EXPECT_EQ(shell_number(command), 1);
  const std::string err = test::read_bytes(dir.file("err"));
  EXPECT_EQ(err.rfind("bertscope: error: this run (", 0), 0u) << err;
  EXPECT_NE(err.find(" GB of results, "), std::string::npos) << err;
  EXPECT_NE(err.find(" available (ulimit -v (RLIMIT_AS)); use fewer trials or layers"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// A failed write to stdout is an error (`predict > /dev/full` exited 0).
TEST(BadInputOutput, FailedWriteToStdoutIsAnError) {
  test::TempDir dir;
  for (const std::string& args : {" predict --model " + test::shell_quote(test::reference_model("tiny-fp32")) + " " +
                                     test::shell_quote(kPrompt),
                                 std::string(" hooks")}) {
    const std::string command = test::shell_quote(BERTSCOPE_CLI) + args + " >/dev/full 2>" +
                                test::shell_quote(dir.file("err")) + "; echo $?";
    EXPECT_EQ(shell_number(command), 1) << args;
    EXPECT_EQ(test::read_bytes(dir.file("err")),
              "bertscope: error: cannot write to standard output: No space left on device\n");
  }
}

// Vocabulary lines and prompts reach the terminal escaped, as error messages do: a crafted
// vocab.txt printed an escape sequence that retitled and cleared the terminal.
TEST(BadInputOutput, FileAndCommandLineTextIsPrintedEscaped) {
  test::TempDir dir;
  const fs::path model = copy_model(dir.path(), "tiny-fp32");
  const std::string hostile = "\x1b]0;owned\x07\x1b[2J";
  edit_vocab(model, [&](auto& lines) {
    for (size_t i = 1000; i < lines.size(); i += 7) lines[i] = hostile + std::to_string(i);
  });
  const auto predict = test::run_cli({"predict", "--model", model.string(), "--top", "30522", kPrompt});
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(predict.out.find('\x1b'), std::string::npos);
  EXPECT_NE(predict.out.find("\\x1B]0;owned\\x07\\x1B[2J1000"), std::string::npos);
  const auto sweep = test::run_cli({"sweep", "--model", model.string(), "--prompt", "tab\there \x1b[2J [MASK].",
                                    "--target", "the", "--intervention", "zero", "--layers", "0", "--top", "1000",
                                    "--out", dir.file("out"), "--quiet"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  EXPECT_EQ(sweep.out.find('\x1b'), std::string::npos) << sweep.out;
  EXPECT_NE(sweep.out.find("prompt: tab\\there \\x1B[2J [MASK]."), std::string::npos) << sweep.out;
}

}  // namespace
}  // namespace bertscope
