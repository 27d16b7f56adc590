# reznet_library(NAME SOURCES … DEPS …): one static library per folder, aliased reznet::NAME,
# warnings on our own code (errors with REZNET_WERROR, as scripts/test.sh and CI build).
function(reznet_apply_flags target)
  # -Wmismatched-new-delete: g++ 12 false positive on Asio coroutine frames (operator delete
  # with size), seen in probes/cache.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-missing-field-initializers
                                           -Wno-mismatched-new-delete)
  if(REZNET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # Asio recycles the memory of coroutine frames and operations through a per-thread cache of 2
  # blocks per purpose by default. A load request nests 4 frames (the step, the exchange, the
  # head, the read) and an operation: with 2 cached, 4 of them went to memalign and free on every
  # request (callgrind). Every target gets the same value: it sets the size of a struct in Asio's
  # headers, so all translation units must agree.
  target_compile_definitions(${target} PRIVATE BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=8)
  # g++ 12 at -O2/-O3 reports -Wrestrict inside libstdc++'s own `"literal" + std::string&&`
  # (GCC PR 105329 / 105651, fixed in g++ 13): a false positive at hundreds of ordinary call
  # sites, so it is silenced for g++ before 13 only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(REZNET_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(REZNET_TSAN)
    # Asio's fenced blocks use std::atomic_thread_fence, which TSan does not model (g++ rejects
    # it with -Werror=tsan); without them Asio's own locks carry the ordering TSan checks.
    target_compile_definitions(${target} PRIVATE BOOST_ASIO_DISABLE_FENCED_BLOCK)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
  if(REZNET_COVERAGE)
    target_compile_options(${target} PRIVATE --coverage -O0)
    target_link_options(${target} PRIVATE --coverage)
  endif()
  if(REZNET_PCH AND NOT target MATCHES "^reznet_pch")
    # At the end of configure: a room's DEPS may name targets defined further down. (EVAL: DEFER
    # would expand ${target} only when the call runs.)
    cmake_language(EVAL CODE "cmake_language(DEFER DIRECTORY [[${PROJECT_SOURCE_DIR}]]
                                            CALL _reznet_reuse_pch [[${target}]])")
  endif()
endfunction()

function(reznet_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(reznet_${name} STATIC ${ARG_SOURCES})
  add_library(reznet::${name} ALIAS reznet_${name})
  target_include_directories(reznet_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(reznet_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  reznet_apply_flags(reznet_${name})
endfunction()

# reznet_unit_test(NAME SOURCES … DEPS …): a GoogleTest binary labelled `unit`.
function(reznet_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  reznet_apply_flags(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 300)
endfunction()

# Precompiled headers (REZNET_PCH): the third-party headers most heavy TUs include anyway, parsed
# once per build instead of once per TU (no project headers: editing one would rebuild the PCH).
# One shared PCH for the libraries and one (with GoogleTest) for the unit tests, not one per
# target: a PCH costs several TUs' worth of compile time. g++ only uses a PCH built with the same
# flags and the same values of the macros it reads (_FILE_OFFSET_BITS from hiredis, the Boost.JSON
# link macros…), else it silently parses the header instead; CMake passes -Winvalid-pch, an error
# under REZNET_WERROR, so CI fails rather than silently losing the PCH.
set(REZNET_PCH_HEADERS
    <boost/asio/any_io_executor.hpp> <boost/asio/awaitable.hpp> <boost/asio/co_spawn.hpp>
    <boost/asio/detached.hpp> <boost/asio/io_context.hpp> <boost/asio/steady_timer.hpp>
    <boost/asio/this_coro.hpp> <boost/asio/use_awaitable.hpp> <boost/json.hpp> <yaml-cpp/yaml.h>)
# What the PCH targets link: their interface flags are the flags the PCH is built with.
set(REZNET_PCH_DEPS Boost::headers Boost::json yaml-cpp PkgConfig::HIREDIS)

# The targets `target`'s compile flags come from: its own links, then their interfaces
# (not $<LINK_ONLY:…>, which only link).
function(_reznet_compile_deps target out)
  get_target_property(todo ${target} LINK_LIBRARIES)
  set(seen)
  while(todo)
    list(POP_FRONT todo dep)
    if(NOT TARGET "${dep}" OR dep IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${dep})
    get_target_property(real ${dep} ALIASED_TARGET)
    if(real)
      list(APPEND seen ${real})
    else()
      set(real ${dep})
    endif()
    get_target_property(next ${real} INTERFACE_LINK_LIBRARIES)
    if(next)
      list(APPEND todo ${next})
    endif()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# A target reuses a shared PCH when it links everything the PCH target links (so it gets at least
# the same macros); the rest (common, config, stats: no hiredis) parses its headers as before.
function(_reznet_reuse_pch target)
  _reznet_compile_deps(${target} deps)
  set(pch reznet_pch)
  if("GTest::gtest" IN_LIST deps)
    set(pch reznet_pch_test)
  endif()
  foreach(need IN LISTS REZNET_PCH_DEPS)
    if(NOT need IN_LIST deps)
      return()
    endif()
  endforeach()
  target_precompile_headers(${target} REUSE_FROM ${pch})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12 loses a header's `#pragma GCC diagnostic ignored` when the header comes from a PCH:
    # libstdc++'s char_traits.h silences these three around std::string's copies, and at -O3
    # its false positives came back as errors (suite/trend.cpp, clean when the same header is
    # parsed from text). Only the PCH users lose these warnings; REZNET_PCH=OFF keeps them.
    target_compile_options(${target} PRIVATE -Wno-stringop-overflow -Wno-stringop-overread
                                             -Wno-array-bounds)
  endif()
endfunction()

if(REZNET_PCH)
  file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/reznet_pch.cpp CONTENT "")
  add_library(reznet_pch OBJECT ${CMAKE_BINARY_DIR}/reznet_pch.cpp)
  target_link_libraries(reznet_pch PRIVATE ${REZNET_PCH_DEPS})
  target_precompile_headers(reznet_pch PRIVATE ${REZNET_PCH_HEADERS})
  add_library(reznet_pch_test OBJECT ${CMAKE_BINARY_DIR}/reznet_pch.cpp)
  target_link_libraries(reznet_pch_test PRIVATE ${REZNET_PCH_DEPS} GTest::gtest GTest::gmock)
  target_precompile_headers(reznet_pch_test PRIVATE ${REZNET_PCH_HEADERS} <gmock/gmock.h>
                                                    <gtest/gtest.h>)
  reznet_apply_flags(reznet_pch)
  reznet_apply_flags(reznet_pch_test)
endif()
