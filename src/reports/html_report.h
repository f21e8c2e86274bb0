#pragma once
// report.html: one self-contained page per run, readable offline in any browser. No
// scripts, no external fonts, styles or images: CSS is inline and the figures are inline
// SVG. It shows the options, the model (with a banner when it is the small demo model),
// then per prompt its tokens, clean top-k, figures and tables, and the files of the run.
#include <string>
#include <vector>

#include "reports/experiment_figures.h"
#include "reports/experiment_files.h"

namespace bertscope {

// `files`: names of the other files written beside report.html, linked at the end.
std::string html_report(const ExperimentResult& result, const Encoder& model, const RunContext& context,
                        const std::vector<Figure>& figures, const std::vector<std::string>& files);

// A file:// URL of an absolute path, percent-encoding what a URL cannot hold.
std::string file_url(const std::string& path);

}  // namespace bertscope
