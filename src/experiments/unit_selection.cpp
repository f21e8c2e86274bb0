#include "experiments/unit_selection.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/printable.h"
#include "common/read_file.h"

namespace bertscope {

namespace {

// Fields of one line of the units file: it holds no quoted fields (sites, numbers, labels
// are written without commas; neurons refuses a label with one).
std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

int whole_field(const std::string& text, const std::string& where) {
  int value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Error(where + "'" + printable(text) + "' is not a whole number");
  }
  return value;
}

double number_field(const std::string& text, const std::string& where) {
  if (text.empty()) return 0.0;  // a mean that does not exist (no rows): no difference
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) throw Error(where + "'" + printable(text) + "' is not a number");
  return value;
}

// "mlp.post" of "blocks.3.mlp.post": a site's name without its block.
std::string short_name(const HookSite& s) { return s.layer < 0 ? s.name() : s.name().substr(s.name().find('.', 7) + 1); }

}  // namespace

std::vector<UnitRow> read_units_file(const std::string& selector, SiteKind site) {
  // Named, not a structured binding: clang before 16 cannot capture a binding in a lambda.
  const auto split = InterventionSpec::split_units_file(selector);
  const std::string& path = split.first;
  const std::string& label = split.second;
  const std::string text = read_small_file(path, std::uintmax_t{256} << 20);
  std::stringstream in(text);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split_fields(line);
  auto column = [&](const char* name) -> size_t {
    const auto at = std::find(header.begin(), header.end(), name);
    if (at == header.end()) {
      throw Error(path + ": not a units file of bertscope neurons (it has no column '" + std::string(name) + "')");
    }
    return static_cast<size_t>(at - header.begin());
  };
  const size_t site_at = column("site"), block_at = column("block"), unit_at = column("unit"),
               higher_at = column("higher_in"), mean_a_at = column("mean_a"), mean_b_at = column("mean_b"),
               significant_at = column("significant_fdr");
  const std::string wanted = short_name(HookSite{site, site == SiteKind::EmbedOut ? -1 : 0});
  std::set<std::string> sites_seen, labels_seen;
  std::vector<UnitRow> rows;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const std::vector<std::string> fields = split_fields(line);
    const std::string where = path + ":" + std::to_string(number) + ": ";
    if (fields.size() != header.size()) {
      throw Error(where + "has " + std::to_string(fields.size()) + " fields, the header " + std::to_string(header.size()));
    }
    const std::optional<HookSite> at = HookSite::parse(fields[site_at]);
    if (!at) throw Error(where + "'" + printable(fields[site_at]) + "' is not a hook site");
    sites_seen.insert(short_name(*at));
    if (at->kind != site) continue;
    if (!fields[higher_at].empty()) labels_seen.insert(fields[higher_at]);
    UnitRow row;
    row.block = whole_field(fields[block_at], where + "block ");
    row.unit = whole_field(fields[unit_at], where + "unit ");
    if (row.block != at->layer || row.unit < 0) throw Error(where + "the block or unit does not match the site " + at->name());
    row.sign = fields[higher_at] == label ? 1 : fields[higher_at].empty() ? 0 : -1;
    row.difference = std::abs(number_field(fields[mean_a_at], where + "mean_a ") - number_field(fields[mean_b_at], where + "mean_b "));
    row.significant = fields[significant_at] == "true";
    rows.push_back(row);
  }
  if (!sites_seen.count(wanted)) {
    std::string list;
    for (const std::string& s : sites_seen) list += (list.empty() ? "" : ", ") + s;
    throw Error(path + ": has no units of " + wanted + ", the site edited (it has: " + (list.empty() ? "none" : list) + ")");
  }
  if (!labels_seen.count(label)) {
    std::string list;
    for (const std::string& s : labels_seen) list += (list.empty() ? "" : ", ") + s;
    throw Error(path + ": no unit is higher in a set labelled '" + label + "' (its sets: " + list + ")");
  }
  return rows;
}

UnitSelection UnitSelection::of(const InterventionSpec& spec, SiteKind site) {
  UnitSelection selection;
  if (!spec.units.empty()) {
    selection.every_block_ = true;
    selection.units_ = spec.units;
    return selection;
  }
  if (spec.units_file.empty()) return selection;
  selection.from_file_ = true;
  for (const UnitRow& row : read_units_file(spec.units_file, site)) {
    std::vector<int>& units = selection.by_block_[row.block];  // a block with no significant unit edits nothing
    if (row.significant && row.sign > 0) units.push_back(row.unit);
  }
  return selection;
}

const std::vector<int>* UnitSelection::at(int layer) const {
  if (every_block_) return &units_;
  if (!from_file_) return nullptr;
  static const std::vector<int> none;
  const auto found = by_block_.find(layer);
  // A block the file does not cover has no units selected: the edit changes nothing there.
  return found == by_block_.end() ? &none : &found->second;
}

}  // namespace bertscope
