#include "interventions/intervention.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "interventions/vector_edits.h"

namespace bertscope {

namespace {

struct KindName {
  InterventionKind kind;
  const char* name;
};
constexpr KindName kKinds[] = {{InterventionKind::Shuffle, "shuffle"}, {InterventionKind::Noise, "noise"},
                               {InterventionKind::Scale, "scale"},     {InterventionKind::Zero, "zero"},
                               {InterventionKind::Skip, "skip"},       {InterventionKind::Mix, "mix"},
                               {InterventionKind::Patch, "patch"},     {InterventionKind::Mean, "mean"},
                               {InterventionKind::Median, "median"},
                               {InterventionKind::Uniform, "uniform"}, {InterventionKind::Attend, "attend"},
                               {InterventionKind::Steer, "steer"},     {InterventionKind::Project, "project"},
                               {InterventionKind::Pca, "pca"},         {InterventionKind::Set, "set"}};

std::string format_number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

// "1,3,5" -> {1, 3, 5}: 0-based indices, comma-separated, for `option`. Anything else throws
// "`option` `malformed`, not '...'". An index listed twice is an error too: it would be
// edited twice (scale 3 at "7,7" is scale 9).
std::vector<int> parse_index_list(const std::string& text, const std::string& option, const std::string& malformed,
                                  const std::string& noun, const std::string& unit) {
  std::vector<int> list;
  const char* at = text.data();
  const char* end = text.data() + text.size();
  while (at < end) {
    int value = -1;
    const auto [next, ec] = std::from_chars(at, end, value);
    if (ec != std::errc() || value < 0 || (next != end && *next != ',')) {
      throw OptionError(option, " " + malformed + ", not '" + text + "'");
    }
    if (std::find(list.begin(), list.end(), value) != list.end()) {
      throw OptionError(option, " '" + text + "' lists " + noun + " " + std::to_string(value) + " twice; each " + unit +
                  " is edited once");
    }
    list.push_back(value);
    at = next == end ? end : next + 1;
  }
  if (list.empty()) throw OptionError(option, " list is empty");
  return list;
}

}  // namespace

Positions Positions::parse(const std::string& text) {
  if (text == "mask") return {};
  if (text == "all") return {Mode::All, {}, {}};
  if (text == "last") return {Mode::Last, {}, {}};
  if (text.starts_with("word:")) {
    const std::string word = text.substr(5);
    if (word.empty() || word.find_first_not_of(" \t") == std::string::npos) {
      throw OptionError("positions", " 'word:' names no word; write the word after it, like 'word:him'");
    }
    return {Mode::Word, {}, word};
  }
  return {Mode::List,
          parse_index_list(text, "positions",
                           "must be 'mask', 'last', 'all', 'word:WORD' or a list of token indices like '1,3,5'", "token",
                           "position"),
          {}};
}

std::string Positions::describe() const {
  if (mode == Mode::Mask) return "mask";
  if (mode == Mode::Last) return "last";
  if (mode == Mode::All) return "all";
  if (mode == Mode::Word) return "word:" + word;
  return index_list_text(list);
}

namespace {

// Every position of every occurrence of `word` in `ids`, in either of the forms a tokenizer
// writes it: after a space (the form a word mid-sentence takes) or at the start of the text.
std::vector<int> word_positions(const std::string& word, const std::vector<int>& ids, const Tokenizer& tokenizer) {
  std::vector<std::vector<int>> forms{tokenizer.word_pieces(word).ids, tokenizer.tokenize(word).ids};
  std::vector<int> out;
  for (size_t at = 0; at < ids.size();) {
    size_t matched = 0;
    for (const std::vector<int>& form : forms) {
      if (!form.empty() && at + form.size() <= ids.size() && std::equal(form.begin(), form.end(), ids.begin() + static_cast<std::ptrdiff_t>(at))) {
        matched = std::max(matched, form.size());
      }
    }
    for (size_t i = 0; i < matched; ++i) out.push_back(static_cast<int>(at + i));
    at += matched ? matched : 1;
  }
  if (out.empty()) {
    std::string pieces;
    for (const std::string& t : tokenizer.word_pieces(word).tokens) pieces += (pieces.empty() ? "" : " ") + t;
    throw Error("positions word:" + word + ": the prompt has no \"" + word + "\" (as tokens: " +
                (pieces.empty() ? "nothing" : pieces) + ")");
  }
  return out;
}

}  // namespace

std::string index_list_text(const std::vector<int>& indices) {
  std::string text;
  for (int i : indices) text += (text.empty() ? "" : ",") + std::to_string(i);
  return text;
}

std::vector<int> Positions::resolve(int mask_index, const std::vector<int>& ids, const Tokenizer& tokenizer) const {
  const int seq = static_cast<int>(ids.size());
  if (mode == Mode::Word) return word_positions(word, ids, tokenizer);
  if (mode == Mode::Mask) return {mask_index};
  if (mode == Mode::Last) return {seq - 1};
  std::vector<int> out;
  if (mode == Mode::All) {
    for (int i = 0; i < seq; ++i) out.push_back(i);
    return out;
  }
  for (int p : list) {
    if (p >= seq) {
      throw Error("position " + std::to_string(p) + " is outside the prompt's " + std::to_string(seq) +
                  " tokens (0-based, [CLS] is 0)");
    }
    out.push_back(p);
  }
  return out;
}

InterventionSpec InterventionSpec::of_kind(InterventionKind kind) {
  InterventionSpec spec;
  spec.kind = kind;
  if (kind == InterventionKind::Noise) spec.factor = 2.0;
  if (kind == InterventionKind::Scale || kind == InterventionKind::Mix) spec.factor = 0.5;
  if (kind == InterventionKind::Steer) spec.factor = 1.0;
  return spec;
}

std::optional<InterventionKind> InterventionSpec::parse_kind(const std::string& name) {
  for (const auto& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  return std::nullopt;
}

std::string InterventionSpec::kind_name(InterventionKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

std::string InterventionSpec::kind_list() {
  std::string list;
  for (const auto& k : kKinds) list += (list.empty() ? "" : ", ") + std::string(k.name);
  return list;
}

std::vector<int> InterventionSpec::parse_heads(const std::string& text) {
  return parse_index_list(text, "heads", "must be a list of 0-based head indices like '3,5'", "head", "head");
}

std::vector<int> InterventionSpec::parse_units(const std::string& text) {
  return parse_index_list(text, "units", "must be a list of 0-based unit indices like '3,17'", "unit", "unit");
}

std::pair<std::string, std::string> InterventionSpec::split_units_file(const std::string& text, const std::string& option) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw OptionError(option, " must be a units file and a prompt set's label, like 'neurons/units.csv:him'" +
                                  std::string(option == "units_file" ? "" : ", or a .npy file") + ", not '" + text + "'");
  }
  return {text.substr(0, colon), text.substr(colon + 1)};
}

std::string InterventionSpec::default_label() const {
  std::string s = kind_name(kind);
  if (kind == InterventionKind::Noise) {
    static const char* scales[] = {"vector std", "layer std", "absolute std"};
    s += " x" + format_number(factor) + " (" + scales[static_cast<int>(std_of)] + ")";
  }
  if (kind == InterventionKind::Scale || kind == InterventionKind::Mix || kind == InterventionKind::Steer ||
      kind == InterventionKind::Set) {
    s += " " + format_number(factor);
  }
  if (!direction_file.empty()) s += " along " + std::filesystem::path(direction_file).filename().string();
  if (!direction_to.empty()) {
    s += " along " + std::to_string(direction_to.size()) + " - " + std::to_string(direction_from.size()) + " prompts";
  }
  if (kind == InterventionKind::Pca && basis_file.empty()) {
    s += " " + std::to_string(components) + " of " + std::to_string(basis_prompts.size()) + " prompts";
  }
  if (!basis_file.empty()) s += " of " + std::filesystem::path(basis_file).filename().string();
  if (kind == InterventionKind::Attend) s += " ->" + std::to_string(attend_to);
  if (!mean_prompts.empty()) s += " of " + std::to_string(mean_prompts.size()) + " prompts";
  if (!heads.empty()) {
    s += " heads " + index_list_text(heads);
  }
  if (units.size() > 4) s += " " + std::to_string(units.size()) + " units";
  if (!units.empty() && units.size() <= 4) s += " units " + index_list_text(units);
  if (!units_file.empty()) s += " units of " + split_units_file(units_file).second;
  if (positions.mode != Positions::Mode::Mask) s += " @" + positions.describe();
  if (needs_other_prompt() && !other_prompt.empty()) s += " with \"" + other_prompt + "\"";
  return s;
}

bool InterventionSpec::is_random() const { return kind == InterventionKind::Shuffle || kind == InterventionKind::Noise; }

bool InterventionSpec::needs_other_prompt() const { return kind == InterventionKind::Mix || kind == InterventionKind::Patch; }

bool InterventionSpec::uses_factor() const {
  return kind == InterventionKind::Noise || kind == InterventionKind::Scale || kind == InterventionKind::Mix ||
         kind == InterventionKind::Steer || kind == InterventionKind::Set;
}

std::string InterventionSpec::factor_kinds() {
  std::vector<std::string> names;
  for (const auto& k : kKinds) {
    if (of_kind(k.kind).uses_factor()) names.push_back(k.name);
  }
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return text;
}

bool uses_site_vectors(InterventionKind kind) {
  return kind == InterventionKind::Steer || kind == InterventionKind::Project || kind == InterventionKind::Pca;
}

void InterventionSpec::validate() const {
  if (!std::isfinite(factor)) throw OptionError("factor", " must be a finite number");
  // Options a kind does not use are errors, not silently recorded as if they had an effect.
  if (!uses_factor() && factor != 0.0) {
    throw OptionError("factor", " is only used by " + factor_kinds() + ", not by " + kind_name(kind));
  }
  if (kind != InterventionKind::Noise && std_of != NoiseScale::Vector) {
    throw OptionError("std_of", " is only used by noise, not by " + kind_name(kind));
  }
  if (kind == InterventionKind::Skip && positions.mode != Positions::Mode::Mask) {
    throw OptionError("positions", " is not used by skip: it skips whole blocks, every position");
  }
  if (kind != InterventionKind::Attend && attend_to != 0) {
    throw OptionError("attend_to", " is only used by attend, not by " + kind_name(kind));
  }
  if (kind == InterventionKind::Noise && factor < 0) throw OptionError("factor", " for noise must be >= 0 (it scales a std)");
  if (needs_other_prompt() && other_prompt.empty()) {
    throw OptionError("other_prompt", " is needed by " + kind_name(kind) + ": the prompt whose hidden state is mixed or patched in");
  }
  if (!needs_other_prompt() && !other_prompt.empty()) {
    throw OptionError("other_prompt", " is only used by mix and patch, not by " + kind_name(kind));
  }
  if (attend_to < 0) throw OptionError("attend_to", " must be a token position (0-based, [CLS] is 0)");
  if (!mean_prompts.empty() && !is_statistic()) {
    throw OptionError("mean_prompts", " is only used by mean and median, not by " + kind_name(kind));
  }
  const bool directed = kind == InterventionKind::Steer || kind == InterventionKind::Project;
  const bool from_prompts = !direction_to.empty() || !direction_from.empty();
  if (directed && direction_file.empty() && !from_prompts) {
    throw OptionError("direction_file", " is needed by " + kind_name(kind) +
                                            ": a .npy vector, or a units file of bertscope neurons and a set, like units.csv:him "
                                            "(or give direction_to and direction_from, two prompt sets)");
  }
  if (from_prompts && !directed) {
    throw OptionError(direction_to.empty() ? "direction_from" : "direction_to",
                      " is only used by steer and project, not by " + kind_name(kind));
  }
  if (from_prompts && (direction_to.empty() || direction_from.empty())) {
    throw OptionError(direction_to.empty() ? "direction_to" : "direction_from",
                      " is needed with " + std::string(direction_to.empty() ? "direction_from" : "direction_to") +
                          ": the direction is the mean over one prompt set minus the mean over the other");
  }
  if (from_prompts && !direction_file.empty()) {
    throw OptionError("direction_file", " and direction_to/direction_from both give the direction; give one of them");
  }
  if (!direction_file.empty() && !direction_file.ends_with(".npy")) split_units_file(direction_file, "direction_file");
  if (!directed && !direction_file.empty()) {
    throw OptionError("direction_file", " is only used by steer and project, not by " + kind_name(kind));
  }
  if (kind == InterventionKind::Pca && basis_prompts.empty() && basis_file.empty()) {
    throw OptionError("basis_prompts", " is needed by pca: the prompts whose activations give the principal components "
                                       "(or basis_file, a .npy basis)");
  }
  if (kind != InterventionKind::Pca && !basis_prompts.empty()) {
    throw OptionError("basis_prompts", " is only used by pca, not by " + kind_name(kind));
  }
  if (kind != InterventionKind::Pca && !basis_file.empty()) {
    throw OptionError("basis_file", " is only used by pca, not by " + kind_name(kind));
  }
  if (!basis_file.empty() && !basis_prompts.empty()) {
    throw OptionError("basis_file", " and basis_prompts both give the subspace; give one of them");
  }
  if (!basis_file.empty() && !basis_file.ends_with(".npy")) {
    throw OptionError("basis_file", " must be a .npy file of basis rows ([rows, width] or [blocks, rows, width]), not '" +
                                        basis_file + "'");
  }

  if (kind != InterventionKind::Pca && components != 1) {
    throw OptionError("components", " is only used by pca, not by " + kind_name(kind));
  }
  if (components < 1) throw OptionError("components", " must be at least 1");
  if (!units.empty() && !units_file.empty()) {
    throw OptionError("units", " and units_file both choose the units edited: give one of them");
  }
  if (!units_file.empty()) split_units_file(units_file);
  // A unit is one number: shuffling it, or noise scaled by its own std, would change nothing.
  const bool unit_kind = kind == InterventionKind::Zero || kind == InterventionKind::Scale || kind == InterventionKind::Set ||
                         is_statistic() ||
                         kind == InterventionKind::Patch || kind == InterventionKind::Mix ||
                         (kind == InterventionKind::Noise && std_of != NoiseScale::Vector);
  if (edits_units() && !unit_kind) {
    throw OptionError(units.empty() ? "units_file" : "units",
                      " edits single numbers, which zero, scale, set, mean, median, patch, mix and noise with std_of = layer or "
                      "absolute do; not " + kind_name(kind) + (kind == InterventionKind::Noise ? " with the vector's std" : ""));
  }
}

void InterventionSpec::validate_at(SiteKind site, int model_heads) const {
  const std::string site_name = HookSite::block(site, 0).name().substr(std::string("blocks.0.").size());
  if (!heads.empty() && !is_per_head(site)) {
    throw OptionError("heads", " selects heads at the per-head sites (attn.q, attn.k, attn.v, attn.scores, attn.pattern, "
                "attn.z, attn.head_out), not at " + site_name);
  }
  for (int h : heads) {
    if (h >= model_heads) {
      throw OptionError("heads", ": head " + std::to_string(h) + " is out of range (the model has heads 0-" +
                  std::to_string(model_heads - 1) + ")");
    }
  }
  if (!mean_prompts.empty() && !rows_are_positions(site)) {
    throw OptionError("mean_prompts", " averages positions of prompts of any length, which attention rows (attn.scores, "
                "attn.pattern) cannot be: use mean over the prompt itself there");
  }
  if (uses_site_vectors(kind) && (is_per_head(site) || site == SiteKind::AttnScores || site == SiteKind::AttnPattern)) {
    throw OptionError("site", " of " + kind_name(kind) + " must hold one vector per position (out, mlp.post, attn.out, ...), "
                                  "not the per-head " + site_name);
  }
  if (edits_units() && !rows_are_positions(site)) {
    throw OptionError(units.empty() ? "units_file" : "units",
                      " selects units of a vector; at " + site_name + " a row is a distribution over keys: edit whole rows there");
  }
  if ((kind == InterventionKind::Uniform || kind == InterventionKind::Attend) && site != SiteKind::AttnPattern) {
    throw OptionError("site", " must be attn.pattern for " + kind_name(kind) + ", which edits attention patterns, not " + site_name);
  }
}

namespace {

std::vector<EditSegment> vector_segments(const std::vector<int64_t>& shape, SiteKind kind, const std::vector<int>& positions,
                                         const std::vector<int>& heads) {
  std::vector<EditSegment> segments;
  if (!is_per_head(kind) || shape.size() != 4) {
    const int width = static_cast<int>(shape.back());
    for (int p : positions) segments.push_back({p, 0, width});
    return segments;
  }
  const int n_heads = static_cast<int>(rows_are_positions(kind) ? shape[2] : shape[1]);
  std::vector<int> chosen = heads;
  if (chosen.empty()) {
    for (int h = 0; h < n_heads; ++h) chosen.push_back(h);
  }
  for (int p : positions) {
    for (int h : chosen) {
      if (!rows_are_positions(kind)) {
        // [batch, heads, seq_q, seq_k]: head h's row of query p.
        const int queries = static_cast<int>(shape[2]), keys = static_cast<int>(shape[3]);
        segments.push_back({h * queries + p, 0, keys});
      } else {
        // [batch, seq, heads, d]: head h's slice of position p's row.
        const int d = static_cast<int>(shape[3]);
        segments.push_back({p, h * d, d});
      }
    }
  }
  return segments;
}

}  // namespace

std::vector<EditSegment> edit_segments(const std::vector<int64_t>& shape, SiteKind kind, const std::vector<int>& positions,
                                       const std::vector<int>& heads, const std::vector<int>* units) {
  std::vector<EditSegment> segments = vector_segments(shape, kind, positions, heads);
  if (units == nullptr) return segments;
  std::vector<EditSegment> out;
  out.reserve(segments.size() * units->size());
  for (const EditSegment& s : segments) {
    for (int u : *units) {
      if (u >= s.length) {
        throw OptionError("units", ": unit " + std::to_string(u) + " is out of range (the edited vectors have units 0-" +
                                       std::to_string(s.length - 1) + ")");
      }
      out.push_back({s.row, s.offset + u, 1});
    }
  }
  return out;
}

RandomStream trial_stream(uint64_t seed, int intervention, bool paired, int layer, int trial) {
  const auto l = static_cast<uint64_t>(layer), t = static_cast<uint64_t>(trial);
  // Paths of different lengths are different streams: paired ones never equal an arm's own.
  if (paired) return RandomStream(seed, {l, t});
  return RandomStream(seed, {static_cast<uint64_t>(intervention), l, t});
}

EditRecord apply_intervention(const InterventionSpec& spec, const ActivationView& view, int b,
                              const std::vector<EditSegment>& segments, RandomStream& stream,
                              const std::vector<const float*>& other, double layer_std) {
  EditRecord record;
  std::vector<float> z;
  double sum_sq = 0.0, scale_sum = 0.0, values = 0.0;
  for (size_t i = 0; i < segments.size(); ++i) {
    float* h = view.row(b, segments[i].row) + segments[i].offset;
    const int n = segments[i].length;
    switch (spec.kind) {
      case InterventionKind::Shuffle:
        shuffle_vector(h, n, stream.permutation(n).data());
        break;
      case InterventionKind::Noise: {
        z.resize(static_cast<size_t>(n));
        stream.fill_normal(z.data(), z.size());
        const double base = spec.std_of == NoiseScale::Vector ? unbiased_std(h, n)
                            : spec.std_of == NoiseScale::Layer ? layer_std
                                                               : 1.0;
        const double scale = base * spec.factor;
        add_noise(h, n, z.data(), scale);
        for (float v : z) sum_sq += static_cast<double>(v) * v * scale * scale;
        scale_sum += scale;
        values += n;
        break;
      }
      case InterventionKind::Scale: scale_vector(h, n, spec.factor); break;
      case InterventionKind::Zero: zero_vector(h, n); break;
      case InterventionKind::Set: std::fill(h, h + n, static_cast<float>(spec.factor)); break;
      case InterventionKind::Mix: mix_vector(h, n, other.at(i), spec.factor); break;
      case InterventionKind::Patch:
      case InterventionKind::Mean:
      case InterventionKind::Median: patch_vector(h, n, other.at(i)); break;
      case InterventionKind::Uniform: std::fill(h, h + n, 1.0f / static_cast<float>(n)); break;
      case InterventionKind::Attend:
        if (spec.attend_to >= n) {
          throw OptionError("attend_to", " " + std::to_string(spec.attend_to) + " is outside the prompt's " + std::to_string(n) +
                      " tokens (0-based, [CLS] is 0)");
        }
        zero_vector(h, n);
        h[spec.attend_to] = 1.0f;
        break;
      case InterventionKind::Steer: add_scaled(h, n, other.at(i), spec.factor); break;
      case InterventionKind::Project: project_out(h, n, other.at(i)); break;
      case InterventionKind::Pca: remove_components(h, n, other.at(i), spec.components); break;
      case InterventionKind::Skip: break;
    }
  }
  if (spec.kind == InterventionKind::Noise && !segments.empty()) {
    record.noise_std = std::sqrt(sum_sq / values);
    record.noise_scale = scale_sum / static_cast<double>(segments.size());
  }
  return record;
}

}  // namespace bertscope
