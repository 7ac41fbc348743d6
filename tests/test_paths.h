#pragma once
// Paths tests and benchmarks need at run time. Each target defines these in a generated source
// file, so no absolute path appears on the compile line of test code and ccache can share
// objects between clones of the repository (CI builds a fresh clone).
const char* riposte_test_data_dir();
const char* riposte_binary_path();
