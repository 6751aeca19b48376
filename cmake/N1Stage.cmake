# SPDX-License-Identifier: MIT
# n1_stage_library(NAME SOURCES file... [PUBLIC dep...] [PRIVATE dep...])
# One static library per folder of the pipeline, with its n1:: alias: the
# PUBLIC dependencies are the lower stages it builds on, the PRIVATE ones
# the third-party libraries only its own sources use.
function(n1_stage_library name)
    cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
    add_library(${name} STATIC ${ARG_SOURCES})
    string(REGEX REPLACE "^n1_" "" short ${name})
    add_library(n1::${short} ALIAS ${name})
    if(ARG_PUBLIC)
        target_link_libraries(${name} PUBLIC ${ARG_PUBLIC})
    endif()
    if(ARG_PRIVATE)
        target_link_libraries(${name} PRIVATE ${ARG_PRIVATE})
    endif()
endfunction()
