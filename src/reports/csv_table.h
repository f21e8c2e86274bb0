#pragma once
// A CSV table (RFC 4180 quoting) built row by row, for pandas / R / spreadsheets.
#include <string>
#include <utility>
#include <vector>

namespace bertscope {

class CsvTable {
 public:
  explicit CsvTable(std::vector<std::string> header);
  CsvTable& add(std::string cell);
  // "%.9g", always with a decimal point or exponent ("0.0", never "0"), so that a column of
  // floats reads as floats; NaN (undefined) as an empty cell, infinities as "inf"/"-inf".
  CsvTable& add(double value);
  CsvTable& add(long long value);
  CsvTable& add(int value) { return add(static_cast<long long>(value)); }
  // Ends the row; throws if it does not have as many cells as the header.
  void end_row();
  const std::string& text() const { return text_; }
  // The text so far, which the table forgets: rows written out as a table grows.
  std::string take_text() { return std::exchange(text_, std::string()); }

 private:
  size_t columns_;
  size_t cells_ = 0;
  std::string text_;
};

}  // namespace bertscope
