# How the revision `riposte version` prints is chosen (cmake/RiposteRevision.cmake), checked by
# configuring a small fixture project:
#   - a -DRIPOSTE_GIT_REVISION given on the command line wins, also inside a git checkout
#     (the image build passes its build argument this way; it used to be overwritten);
#   - without it, git's HEAD (12 characters) inside a checkout;
#   - outside any checkout, "unknown";
#   - a value that cannot be a C string literal is refused with a message naming the variable.
# Usage: cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch dir> -P revision_test.cmake
foreach(var SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "revision_test: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# configure(NAME SOURCE RESULT_VAR OUTPUT_VAR [cmake args...])
function(configure name source result_var output_var)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${source} -B ${WORK_DIR}/${name}
            -DRIPOSTE_CMAKE_DIR=${SOURCE_DIR}/cmake ${ARGN}
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${result_var} ${result} PARENT_SCOPE)
  set(${output_var} "${out}${err}" PARENT_SCOPE)
endfunction()
function(expect_revision name expected)
  file(READ ${WORK_DIR}/${name}/revision.txt actual)
  if(NOT actual STREQUAL expected)
    message(SEND_ERROR "${name}: revision is \"${actual}\", expected \"${expected}\"")
  else()
    message(STATUS "${name}: \"${actual}\" as expected")
  endif()
endfunction()

set(fixture ${SOURCE_DIR}/tests/deploy/revision_fixture)
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                RESULT_VARIABLE git_result OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(NOT git_result EQUAL 0)
  set(head unknown)  # a source tarball: the checkout cases expect what the build would print
endif()

configure(given_wins ${fixture} result out -DRIPOSTE_GIT_REVISION=0123456789abcdef-dirty)
if(NOT result EQUAL 0)
  message(SEND_ERROR "given_wins: configure failed:\n${out}")
else()
  expect_revision(given_wins "0123456789abcdef-dirty")
endif()

configure(from_git ${fixture} result out)
if(NOT result EQUAL 0)
  message(SEND_ERROR "from_git: configure failed:\n${out}")
else()
  expect_revision(from_git "${head}")
endif()

# The same fixture copied where no .git is above it (GIT_DIR would point git elsewhere).
set(outside ${WORK_DIR}/outside-src)
file(COPY ${fixture}/CMakeLists.txt DESTINATION ${outside})
execute_process(COMMAND git rev-parse --git-dir WORKING_DIRECTORY ${outside}
                RESULT_VARIABLE in_checkout OUTPUT_QUIET ERROR_QUIET)
if(in_checkout EQUAL 0)
  message(STATUS "outside_checkout: skipped, ${outside} is inside a git checkout")
else()
  unset(ENV{GIT_DIR})
  configure(outside_checkout ${outside} result out)
  if(NOT result EQUAL 0)
    message(SEND_ERROR "outside_checkout: configure failed:\n${out}")
  else()
    expect_revision(outside_checkout "unknown")
  endif()
endif()

configure(refused ${fixture} result out "-DRIPOSTE_GIT_REVISION=abc\";exit")
if(result EQUAL 0)
  message(SEND_ERROR "refused: a revision with a quote was accepted")
elseif(NOT out MATCHES "RIPOSTE_GIT_REVISION=.*only letters, digits")
  message(SEND_ERROR "refused: configure failed without naming the variable:\n${out}")
else()
  message(STATUS "refused: rejected with a message naming RIPOSTE_GIT_REVISION")
endif()
