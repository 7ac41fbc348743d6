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
  if(RIPOSTE_SANITIZE)
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

# A GoogleTest executable registered with CTest through gtest_discover_tests.
function(riposte_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  riposte_target_defaults(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    RIPOSTE_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    RIPOSTE_BINARY="$<TARGET_FILE:riposte>")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()
