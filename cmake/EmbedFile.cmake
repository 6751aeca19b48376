# SPDX-License-Identifier: MIT
# Turns a text file into a C source defining a NUL-terminated char array,
# so that the binary carries the file (rules/default.rules) with it.
# Run in script mode:
#   cmake -DIN=file -DOUT=file.c -DSYMBOL=name -P EmbedFile.cmake
# Bytes are written as hex so that no character needs escaping.
if(NOT IN OR NOT OUT OR NOT SYMBOL)
    message(FATAL_ERROR "EmbedFile.cmake needs IN, OUT and SYMBOL")
endif()
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Twelve bytes per line keeps the generated file readable in a diff.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){12})" "\\1\n    " bytes
    "${bytes}")
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}.tmp"
    "/* Generated from ${name} by cmake/EmbedFile.cmake; do not edit. */\n"
    "extern const char ${SYMBOL}[];\n"
    "const char ${SYMBOL}[] = {\n    ${bytes}0x00\n};\n")
# Replace only when changed, so an unchanged file does not rebuild n1_rules.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different
    "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
