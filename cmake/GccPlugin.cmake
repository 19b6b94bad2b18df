# Finds every GCC the plugin can be built for.
#
# A GCC plugin only loads into the GCC it was compiled against, so the plugin is built once per GCC
# that has plugin headers (Debian: gcc-N-plugin-dev) and a g++ of the same version, and the shim
# ctimer.so (plugin/shim.c) picks the build that matches the GCC loading it.
#
# Sets:
#   CTIMER_GCC                  the default driver (CMAKE_C_COMPILER): the one baked into
#                               pkg-config's and the CMake package's documentation
#   CTIMER_GCC_DEFAULT_MAJOR    its major version
#   CTIMER_GCC_MAJORS           the major versions with a plugin build, the default one first
#   CTIMER_GCC_<M>              the gcc driver of major version M
#   CTIMER_GXX_<M>              the g++ that compiles its plugin build
#   CTIMER_GCC_PLUGIN_INCLUDE_<M>  its plugin headers
#   GCC_PLUGIN_INCLUDE_DIR      the default compiler's plugin headers
#
# CTIMER_PLUGIN_GCCS (cache) lists the other gcc drivers to try; "auto" (the default) looks for
# gcc-9 ... gcc-16 on PATH at each configure, so a GCC installed later is found.  Set it to "" to
# build for the default compiler only.

set(CTIMER_GCC "${CMAKE_C_COMPILER}" CACHE FILEPATH "The default gcc that loads the plugin")

if(NOT CMAKE_C_COMPILER_ID STREQUAL "GNU")
  message(FATAL_ERROR "ctimer is a GCC plugin: configure with CC=gcc (found ${CMAKE_C_COMPILER_ID})")
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
   OR NOT CMAKE_CXX_COMPILER_VERSION VERSION_EQUAL CMAKE_C_COMPILER_VERSION)
  message(FATAL_ERROR "ctimer: the plugin must be built by g++ ${CMAKE_C_COMPILER_VERSION} "
                      "to match gcc; found ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
endif()

set(CTIMER_PLUGIN_GCCS auto CACHE STRING
    "Other gcc drivers to build the plugin for: auto (every gcc-N on PATH, looked up at each configure) or a list")
set(_gccs ${CTIMER_PLUGIN_GCCS})
if(CTIMER_PLUGIN_GCCS STREQUAL "auto")
  set(_gccs)
  foreach(v RANGE 9 16)
    find_program(_ctimer_gcc_${v} gcc-${v})
    if(_ctimer_gcc_${v})
      list(APPEND _gccs ${_ctimer_gcc_${v}})
    endif()
    unset(_ctimer_gcc_${v} CACHE) # looked up again at the next configure
  endforeach()
endif()

# _ctimer_plugin_dir(GCC OUT): the plugin header directory of GCC, or "" without headers.
function(_ctimer_plugin_dir gcc out)
  execute_process(COMMAND ${gcc} -print-file-name=plugin
                  OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND EXISTS "${dir}/include/gcc-plugin.h")
    set(${out} "${dir}/include" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# The default compiler must have headers: it is what `gcc` means for users.
_ctimer_plugin_dir(${CTIMER_GCC} _inc)
if(NOT _inc)
  message(FATAL_ERROR "ctimer: GCC plugin headers not found for ${CTIMER_GCC}. "
                      "Install them: apt-get install gcc-<version>-plugin-dev (${CMAKE_C_COMPILER_VERSION})")
endif()
set(GCC_PLUGIN_INCLUDE_DIR "${_inc}" CACHE PATH "The default GCC's plugin headers")
string(REGEX MATCH "^[0-9]+" _m "${CMAKE_C_COMPILER_VERSION}")
set(CTIMER_GCC_DEFAULT_MAJOR ${_m})
set(CTIMER_GCC_MAJORS ${_m})
set(CTIMER_GCC_${_m} ${CTIMER_GCC})
set(CTIMER_GXX_${_m} ${CMAKE_CXX_COMPILER})
set(CTIMER_GCC_PLUGIN_INCLUDE_${_m} ${_inc})

foreach(gcc IN LISTS _gccs)
  execute_process(COMMAND ${gcc} -dumpfullversion OUTPUT_VARIABLE full
                  OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(STATUS "ctimer: ${gcc} does not run; no plugin for it")
    continue()
  endif()
  string(REGEX MATCH "^[0-9]+" m "${full}")
  if(m IN_LIST CTIMER_GCC_MAJORS)
    continue() # the same major as one already built for (gcc and gcc-12 are one compiler)
  endif()
  _ctimer_plugin_dir(${gcc} inc)
  if(NOT inc)
    message(STATUS "ctimer: ${gcc} (GCC ${full}) has no plugin headers "
                   "(apt-get install gcc-${m}-plugin-dev): no plugin for it")
    continue()
  endif()
  get_filename_component(dir ${gcc} DIRECTORY)
  get_filename_component(name ${gcc} NAME)
  string(REPLACE "gcc" "g++" gxx_name "${name}")
  set(gxx "${dir}/${gxx_name}")
  set(gxx_full "")
  if(EXISTS "${gxx}")
    execute_process(COMMAND ${gxx} -dumpfullversion OUTPUT_VARIABLE gxx_full
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
  endif()
  if(NOT gxx_full STREQUAL full)
    message(STATUS "ctimer: ${gcc} (GCC ${full}) has no g++ of the same version at ${gxx} "
                   "(apt-get install g++-${m}): no plugin for it")
    continue()
  endif()
  list(APPEND CTIMER_GCC_MAJORS ${m})
  set(CTIMER_GCC_${m} ${gcc})
  set(CTIMER_GXX_${m} ${gxx})
  set(CTIMER_GCC_PLUGIN_INCLUDE_${m} ${inc})
endforeach()
message(STATUS "ctimer: plugin builds for GCC ${CTIMER_GCC_MAJORS}")
