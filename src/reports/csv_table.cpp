#include "reports/csv_table.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace bertscope {

namespace {

std::string quote(const std::string& cell) {
  if (cell.find_first_of(",\"\n\r") == std::string::npos) return cell;
  std::string q = "\"";
  for (char c : cell) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

CsvTable::CsvTable(std::vector<std::string> header) : columns_(header.size()) {
  for (auto& h : header) add(std::move(h));
  end_row();
}

CsvTable& CsvTable::add(std::string cell) {
  if (cells_++ > 0) text_ += ',';
  text_ += quote(cell);
  return *this;
}

CsvTable& CsvTable::add(double value) {
  if (std::isnan(value)) return add(std::string());
  if (std::isinf(value)) return add(std::string(value > 0 ? "inf" : "-inf"));
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  std::string text = buffer;
  // "0" or "3" would make a reader type the column as integers when every value is whole.
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return add(std::move(text));
}

CsvTable& CsvTable::add(long long value) { return add(std::to_string(value)); }

void CsvTable::end_row() {
  if (cells_ != columns_) throw std::logic_error("CSV row has " + std::to_string(cells_) + " cells, header has " + std::to_string(columns_));
  text_ += '\n';
  cells_ = 0;
}

}  // namespace bertscope
