#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"bertscope: causal interventions on BERT hidden states"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}
