# Build time (docs/benchmarks.md, "Build and test time"): shared precompiled headers and a faster
# linker for the test programs. Included at the end of the top-level CMakeLists.txt, after every
# target exists: vitals_build_speed() walks the targets, so a folder's CMakeLists.txt needs no
# build-speed settings of its own.
#
#   VITALS_PCH   precompile cmake/pch/*.hpp once and reuse them in every target (GCC).
#   VITALS_LLD   link test programs and benchmarks with lld (the shipped programs keep the default
#                linker, so packages and the agent's measured memory do not change).

option(VITALS_PCH "Share precompiled headers (cmake/pch/) between targets" ON)
option(VITALS_LLD "Link test programs and benchmarks with lld when it is installed" ON)

set(VITALS_PCH_DIR ${CMAKE_CURRENT_LIST_DIR}/pch)

# All targets defined in dir and below.
function(_vitals_targets_below dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _vitals_targets_below(${sub} below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# True when target (or a project library it links, transitively) links lib.
function(_vitals_links target lib out)
  set(seen)
  set(todo ${target})
  set(found OFF)
  while(todo)
    list(POP_FRONT todo t)
    if(t IN_LIST seen OR NOT TARGET ${t})
      continue()
    endif()
    list(APPEND seen ${t})
    if(t STREQUAL lib)
      set(found ON)
      break()
    endif()
    get_target_property(type ${t} TYPE)
    set(links)
    if(t STREQUAL target AND NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(links ${t} LINK_LIBRARIES)
    else()
      get_target_property(links ${t} INTERFACE_LINK_LIBRARIES)
    endif()
    foreach(l IN LISTS links)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" l "${l}")
      if(TARGET "${l}")
        list(APPEND todo ${l})
      endif()
    endforeach()
  endwhile()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# A static library whose only job is to compile one precompiled header with the flags of a group
# of targets; the group reuses it (REUSE_FROM). GCC uses a precompiled header only when the
# macros it depends on and the code generation options match, so each group has its own:
#   vitals_pch        libraries and programs on vitals_common (-O2)
#   vitals_pch_os     the agent's libraries (-Os, see agent/CMakeLists.txt)
#   vitals_pch_test   Catch2 test programs
function(_vitals_pch_donor name header)
  add_library(${name} STATIC ${VITALS_PCH_DIR}/empty.cpp)
  target_link_libraries(${name} PRIVATE vitals_common nlohmann_json::nlohmann_json ${ARGN})
  target_precompile_headers(${name} PRIVATE ${header})
endfunction()

function(vitals_build_speed)
  _vitals_targets_below(${CMAKE_SOURCE_DIR} targets)

  if(VITALS_LLD AND NOT VITALS_FUZZ)
    include(CheckLinkerFlag)
    check_linker_flag(CXX -fuse-ld=lld VITALS_HAVE_LLD)
  endif()

  set(pch OFF)
  if(VITALS_PCH AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND NOT VITALS_FUZZ)
    set(pch ON)
    _vitals_pch_donor(vitals_pch ${VITALS_PCH_DIR}/common.hpp)
    _vitals_pch_donor(vitals_pch_os ${VITALS_PCH_DIR}/common.hpp)
    _vitals_pch_donor(vitals_pch_test ${VITALS_PCH_DIR}/test.hpp Catch2::Catch2WithMain)
    if(CMAKE_BUILD_TYPE MATCHES "^(Release|RelWithDebInfo|MinSizeRel)$")
      target_compile_options(vitals_pch_os PRIVATE -Os)
    endif()
  endif()

  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(NOT type MATCHES "^(STATIC_LIBRARY|EXECUTABLE)$" OR t MATCHES "^vitals_pch")
      continue()
    endif()
    _vitals_links(${t} Catch2::Catch2WithMain is_test)
    if(VITALS_HAVE_LLD AND type STREQUAL "EXECUTABLE"
       AND NOT t MATCHES "^(vitals-agent|vitals-hub|vitalsctl)$")
      target_link_options(${t} PRIVATE -fuse-ld=lld)
    endif()
    if(NOT pch)
      continue()
    endif()
    # Targets without vitals_common's macros (generated protobuf code, vitals_net) compile as
    # they are: a precompiled header built with other macros would not be used.
    _vitals_links(${t} vitals_common on_common)
    if(NOT on_common)
      continue()
    endif()
    get_target_property(options ${t} COMPILE_OPTIONS)
    if(is_test)
      target_precompile_headers(${t} REUSE_FROM vitals_pch_test)
    elseif("-Os" IN_LIST options)
      target_precompile_headers(${t} REUSE_FROM vitals_pch_os)
    else()
      target_precompile_headers(${t} REUSE_FROM vitals_pch)
    endif()
  endforeach()
endfunction()
