# SPDX-License-Identifier: MIT
# Warning flags and the sanitizer build types.
set(N1_WARN_FLAGS
    -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
    -Wwrite-strings -Wimplicit-fallthrough -Wformat=2 -Wformat-security
    -Wpointer-arith -Wvla -Wcast-qual -fno-common)
add_compile_options(${N1_WARN_FLAGS})
if(N1_WERROR)
    add_compile_options(-Werror)
endif()

# AddressSanitizer build type: ASan + UBSan together, aborting on the first
# UB report so that a test fails instead of printing and going on.
set(CMAKE_C_FLAGS_ADDRESSSANITIZER
    "-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
    CACHE STRING "C flags for the AddressSanitizer build type" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_ADDRESSSANITIZER
    "-fsanitize=address,undefined"
    CACHE STRING "Linker flags for the AddressSanitizer build type" FORCE)
set(CMAKE_C_FLAGS_UNDEFINEDSANITIZER
    "-g -O1 -fno-omit-frame-pointer -fsanitize=undefined -fno-sanitize-recover=all"
    CACHE STRING "C flags for the UndefinedSanitizer build type" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_UNDEFINEDSANITIZER
    "-fsanitize=undefined"
    CACHE STRING "Linker flags for the UndefinedSanitizer build type" FORCE)
if(NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE RelWithDebInfo)
endif()
