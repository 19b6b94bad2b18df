# Locates the plugin headers of the GCC that will load ctimer.so.
#
# Sets CTIMER_GCC (the driver users compile with) and GCC_PLUGIN_INCLUDE_DIR.
# A plugin only loads into the exact GCC build it was compiled against, so the driver is pinned
# here and baked into the tests and into pkg-config's flags.

set(CTIMER_GCC "${CMAKE_C_COMPILER}" CACHE FILEPATH "The gcc that loads the plugin")

if(NOT CMAKE_C_COMPILER_ID STREQUAL "GNU")
  message(FATAL_ERROR "ctimer is a GCC plugin: configure with CC=gcc (found ${CMAKE_C_COMPILER_ID})")
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
   OR NOT CMAKE_CXX_COMPILER_VERSION VERSION_EQUAL CMAKE_C_COMPILER_VERSION)
  message(FATAL_ERROR "ctimer: the plugin must be built by g++ ${CMAKE_C_COMPILER_VERSION} "
                      "to match gcc; found ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
endif()

execute_process(COMMAND ${CTIMER_GCC} -print-file-name=plugin
                OUTPUT_VARIABLE _plugin_dir OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT EXISTS "${_plugin_dir}/include/gcc-plugin.h")
  message(FATAL_ERROR "ctimer: GCC plugin headers not found under '${_plugin_dir}'. "
                      "Install them: apt-get install gcc-${CMAKE_C_COMPILER_VERSION_MAJOR}-plugin-dev")
endif()
set(GCC_PLUGIN_INCLUDE_DIR "${_plugin_dir}/include" CACHE PATH "GCC plugin headers")
