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
