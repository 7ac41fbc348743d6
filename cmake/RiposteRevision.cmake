# The source revision `riposte version` prints and the image labels carry.
#
# -DRIPOSTE_GIT_REVISION=... wins: the image build passes its build argument this way, because
# the build context has no .git (.dockerignore). Without it, git is asked at configure time
# (scripts/build.sh configures on every build), and "unknown" is used outside a checkout.
# The value becomes a C string literal, so only [A-Za-z0-9._+-] are accepted.
function(riposte_git_revision out_var)
  set(RIPOSTE_GIT_REVISION "" CACHE STRING
      "Revision shown by `riposte version`; empty: ask git in the source tree")
  set(revision "$CACHE{RIPOSTE_GIT_REVISION}")
  if(revision STREQUAL "")
    execute_process(
      COMMAND git rev-parse --short=12 HEAD
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
      RESULT_VARIABLE git_result
      OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(NOT git_result EQUAL 0 OR revision STREQUAL "")
      set(revision unknown)
    endif()
  elseif(NOT revision MATCHES "^[A-Za-z0-9._+-]+$")
    message(FATAL_ERROR
      "RIPOSTE_GIT_REVISION=\"${revision}\": only letters, digits and . _ + - are allowed "
      "(e.g. a commit id, optionally with -dirty)")
  endif()
  set(${out_var} "${revision}" PARENT_SCOPE)
endfunction()
