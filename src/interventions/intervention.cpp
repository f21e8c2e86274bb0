#include "interventions/intervention.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

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
                               {InterventionKind::Patch, "patch"}};

std::string format_number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

}  // namespace

Positions Positions::parse(const std::string& text) {
  if (text == "mask") return {};
  if (text == "all") return {Mode::All, {}};
  Positions p{Mode::List, {}};
  const char* at = text.data();
  const char* end = text.data() + text.size();
  while (at < end) {
    int value = -1;
    const auto [next, ec] = std::from_chars(at, end, value);
    if (ec != std::errc() || value < 0 || (next != end && *next != ',')) {
      throw Error("--positions must be 'mask', 'all' or a list of token indices like '1,3,5', not '" + text + "'");
    }
    // A position listed twice would be edited twice (scale 3 at "7,7" is scale 9).
    if (std::find(p.list.begin(), p.list.end(), value) != p.list.end()) {
      throw Error("--positions '" + text + "' lists token " + std::to_string(value) + " twice; each position is edited once");
    }
    p.list.push_back(value);
    at = next == end ? end : next + 1;
  }
  if (p.list.empty()) throw Error("--positions list is empty");
  return p;
}

std::string Positions::describe() const {
  if (mode == Mode::Mask) return "mask";
  if (mode == Mode::All) return "all";
  std::string s;
  for (int p : list) s += (s.empty() ? "" : ",") + std::to_string(p);
  return s;
}

std::vector<int> Positions::resolve(int mask_index, int seq) const {
  if (mode == Mode::Mask) return {mask_index};
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

std::string InterventionSpec::label() const {
  std::string s = kind_name(kind);
  if (kind == InterventionKind::Noise) {
    static const char* scales[] = {"vector std", "layer std", "absolute std"};
    s += " x" + format_number(factor) + " (" + scales[static_cast<int>(std_of)] + ")";
  }
  if (kind == InterventionKind::Scale || kind == InterventionKind::Mix) s += " " + format_number(factor);
  if (positions.mode != Positions::Mode::Mask) s += " @" + positions.describe();
  return s;
}

bool InterventionSpec::is_random() const { return kind == InterventionKind::Shuffle || kind == InterventionKind::Noise; }

bool InterventionSpec::needs_other_prompt() const { return kind == InterventionKind::Mix || kind == InterventionKind::Patch; }

bool InterventionSpec::uses_factor() const {
  return kind == InterventionKind::Noise || kind == InterventionKind::Scale || kind == InterventionKind::Mix;
}

void InterventionSpec::validate() const {
  if (!std::isfinite(factor)) throw Error("--factor must be a finite number");
  // Options a kind does not use are errors, not silently recorded as if they had an effect.
  if (!uses_factor() && factor != 0.0) {
    throw Error("--factor is only used by noise, scale and mix, not by " + kind_name(kind));
  }
  if (kind != InterventionKind::Noise && std_of != NoiseScale::Vector) {
    throw Error("--std-of is only used by noise, not by " + kind_name(kind));
  }
  if (kind == InterventionKind::Skip && positions.mode != Positions::Mode::Mask) {
    throw Error("--positions is not used by skip: it skips whole blocks, every position");
  }
  if (kind == InterventionKind::Noise && factor < 0) throw Error("--factor for noise must be >= 0 (it scales a std)");
  if (needs_other_prompt() && other_prompt.empty()) {
    throw Error(kind_name(kind) + " needs --other-prompt: the prompt whose hidden state is mixed or patched in");
  }
  if (!needs_other_prompt() && !other_prompt.empty()) {
    throw Error("--other-prompt is only used by mix and patch, not by " + kind_name(kind));
  }
}

EditRecord apply_intervention(const InterventionSpec& spec, const ActivationView& view, int b,
                              const std::vector<int>& positions, RandomStream& stream,
                              const std::vector<const float*>& other, double layer_std) {
  EditRecord record;
  const int n = view.width;
  std::vector<float> z;
  double sum_sq = 0.0, scale_sum = 0.0;
  for (size_t i = 0; i < positions.size(); ++i) {
    float* h = view.row(b, positions[i]);
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
        break;
      }
      case InterventionKind::Scale: scale_vector(h, n, spec.factor); break;
      case InterventionKind::Zero: zero_vector(h, n); break;
      case InterventionKind::Mix: mix_vector(h, n, other.at(i), spec.factor); break;
      case InterventionKind::Patch: patch_vector(h, n, other.at(i)); break;
      case InterventionKind::Skip: break;
    }
  }
  if (spec.kind == InterventionKind::Noise && !positions.empty()) {
    record.noise_std = std::sqrt(sum_sq / (static_cast<double>(positions.size()) * n));
    record.noise_scale = scale_sum / static_cast<double>(positions.size());
  }
  return record;
}

}  // namespace bertscope
