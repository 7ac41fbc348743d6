# Per-target settings: every Riposte target calls riposte_target_defaults() instead of
# relying on global flags, so third-party headers and test frameworks stay untouched.

function(riposte_enable_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(RIPOSTE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(riposte_enable_sanitizers target)
  if(RIPOSTE_BUILD_FUZZ)
    # Coverage instrumentation for every library linked into a fuzzer.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  if(RIPOSTE_SANITIZE OR RIPOSTE_BUILD_FUZZ)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

function(riposte_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  riposte_enable_warnings(${target})
  riposte_enable_sanitizers(${target})
endfunction()

# Libraries are static and linked into the one `riposte` executable.
function(riposte_add_library name)
  add_library(${name} STATIC ${ARGN})
  riposte_target_defaults(${name})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()

# RIPOSTE_TEST_DATA_DIR and RIPOSTE_BINARY (const char*) for a test or bench target. The
# absolute paths live only in one generated source file per target (see tests/test_paths.h).
function(riposte_add_test_paths name)
  set(paths_cc ${CMAKE_CURRENT_BINARY_DIR}/${name}_paths.cc)
  file(GENERATE OUTPUT ${paths_cc} CONTENT
"const char* riposte_test_data_dir() { return \"${PROJECT_SOURCE_DIR}/tests/data\"; }
const char* riposte_binary_path() { return \"$<TARGET_FILE:riposte>\"; }
")
  target_sources(${name} PRIVATE ${paths_cc})
  target_compile_options(${name} PRIVATE "SHELL:-include tests/test_paths.h")
  target_compile_definitions(${name} PRIVATE
    "RIPOSTE_TEST_DATA_DIR=riposte_test_data_dir()" "RIPOSTE_BINARY=riposte_binary_path()")
endfunction()

# A GoogleTest executable registered with CTest through gtest_discover_tests.
function(riposte_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  riposte_target_defaults(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest GTest::gtest_main)
  riposte_add_test_paths(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()

# A libFuzzer target (clang, RIPOSTE_BUILD_FUZZ=ON) from a file defining LLVMFuzzerTestOneInput.
# In ordinary builds the same source becomes a regression test that replays every input kept
# under fuzz/regressions/<name>/ (crashes found earlier) and fuzz/seeds/<name>/.
function(riposte_add_fuzzer name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  if(RIPOSTE_BUILD_FUZZ)
    add_executable(${name} ${F_SOURCES})
    riposte_target_defaults(${name})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  elseif(RIPOSTE_BUILD_TESTS)
    add_executable(${name}_regression ${F_SOURCES} ${PROJECT_SOURCE_DIR}/fuzz/regression_main.cc)
    riposte_target_defaults(${name}_regression)
    target_include_directories(${name}_regression PRIVATE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name}_regression PRIVATE ${F_LIBS})
    add_test(NAME ${name}_regression
      COMMAND ${name}_regression
        ${PROJECT_SOURCE_DIR}/fuzz/regressions/${name} ${PROJECT_SOURCE_DIR}/fuzz/seeds/${name})
  endif()
endfunction()

# A benchmark program under bench/: built, never run by ctest.
function(riposte_add_bench name)
  cmake_parse_arguments(B "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${B_SOURCES})
  riposte_target_defaults(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${B_LIBS})
  riposte_add_test_paths(${name})
endfunction()
