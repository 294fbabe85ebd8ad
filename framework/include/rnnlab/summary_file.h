// summary.h5 of `rnnlab collect`: tables of plain columns, readable with h5py / pandas.
//
// One table = one HDF5 group /<name> holding one 1-D dataset per column, all of `rows`
// length: float64 (NaN = empty) for numeric columns, variable-length UTF-8 strings for text
// columns (h5py: f["runs"]["id"].asstr()[:]). Group attrs: `columns` (the column names in
// order, joined by ','), `rows` (int64). Links keep creation order. No root attributes (so
// `rnnlab report` tells it from a run file: no rnnlab_version).
#pragma once

#include <string>
#include <vector>

namespace rnnlab {

struct SummaryColumn {
  std::string name;
  bool text = false;
  std::vector<double> numbers;       // when !text
  std::vector<std::string> strings;  // when text
};
struct SummaryTable {
  std::string name;
  std::vector<SummaryColumn> columns;
};

// Writes (truncates) `path`. rnnlab::Error naming the path on an HDF5 failure.
void write_summary_h5(const std::string& path, const std::vector<SummaryTable>& tables);
// Reads back a 1-D string dataset (e.g. "runs/id") of such a file. InputError if the file
// or the dataset is missing.
std::vector<std::string> read_string_column(const std::string& path, const std::string& dataset);

}  // namespace rnnlab
