#pragma once
// The units (neurons) an intervention edits at each block: one list for every block
// (`units = [3, 17]`), or per block from a units file that `bertscope neurons` wrote
// (`units_file = "neurons/units.csv:him"`: the units significant after the FDR correction
// whose mean is higher in the prompt set labelled "him").
#include <map>
#include <string>
#include <vector>

#include "interventions/intervention.h"
#include "model/hook_site.h"

namespace bertscope {

class UnitSelection {
 public:
  // Nothing selected: edits change whole vectors.
  UnitSelection() = default;
  // Reads the spec's units or units file for edits at `site`. Throws Error naming the file and
  // line when it cannot be read, lacks a column, has no units of that site or no set of that label.
  static UnitSelection of(const InterventionSpec& spec, SiteKind site);

  // The units edited at block `layer` (-1: embed.out): nullptr for the whole vector.
  const std::vector<int>* at(int layer) const;
  bool empty() const { return !every_block_ && by_block_.empty(); }

 private:
  bool every_block_ = false;
  std::vector<int> units_;
  bool from_file_ = false;
  std::map<int, std::vector<int>> by_block_;
};

// One unit of the edited site in a units file, as the set `label` of "units.csv:label" sees it.
struct UnitRow {
  int block = 0;
  int unit = 0;
  int sign = 0;             // +1: higher in `label`, -1: in the other set, 0: equal means
  double difference = 0.0;  // |mean_a - mean_b|
  bool significant = false; // after the FDR correction
};
// The rows of `site`'s kind in the units file of `selector` ("path/units.csv:label"). Throws
// Error naming the file (and line) when it cannot be read, lacks a column, has no units of
// that site or no unit higher in a set of that label.
std::vector<UnitRow> read_units_file(const std::string& selector, SiteKind site);

// The units file's header, as `bertscope neurons` writes it and UnitSelection reads it.
inline constexpr const char* kUnitsFileColumns[] = {"site",    "block",         "unit",  "higher_in",
                                                    "mean_a",  "mean_b",        "t",     "df",
                                                    "p",       "p_fdr",         "p_bonferroni", "cohen_d",
                                                    "significant_fdr", "significant_bonferroni"};

}  // namespace bertscope
