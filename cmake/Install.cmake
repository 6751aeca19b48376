# SPDX-License-Identifier: MIT
# What `cmake --install` puts where, the man pages it installs, and the
# Debian package (`cpack -G DEB` in the build directory).
#
# The man pages are written once, as scdoc sources in docs/man/, and built
# here; their option lists are the long-form reference and
# tests/install/man_options.sh checks them against each command's --help.
# The paths are the GNU ones under the prefix (/usr/local by default, /usr
# in the package): bin/, share/man/man1/, share/n1digest/,
# share/doc/n1digest/, share/bash-completion/completions/, and
# lib/systemd/system/ for the unit.
include(GNUInstallDirs)

# One page per command; a listed page without its source fails here.
set(N1_MAN_PAGES
    n1digest
    n1digest-analyze
    n1digest-digest
    n1digest-check
    n1digest-tail
    n1digest-live
    n1digest-verify
    n1digest-ingest
    n1digest-fingerprint
    n1digest-events
    n1digest-rules
)

if(N1_MAN)
    find_program(N1_SCDOC scdoc)
    if(NOT N1_SCDOC)
        message(FATAL_ERROR "scdoc was not found, and the man pages need "
            "it: install it (apt-get install scdoc, or scripts/deps.sh "
            "build), or configure with -DN1_MAN=OFF to build without them")
    endif()
    find_program(N1_GZIP gzip)
    if(NOT N1_GZIP)
        message(FATAL_ERROR "gzip was not found (the man pages need it); "
            "or configure with -DN1_MAN=OFF")
    endif()
    set(pages)
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/man)
    foreach(page ${N1_MAN_PAGES})
        set(src ${CMAKE_SOURCE_DIR}/docs/man/${page}.1.scd)
        set(out ${CMAKE_BINARY_DIR}/man/${page}.1)
        if(NOT EXISTS ${src})
            message(FATAL_ERROR "man page source ${src} does not exist")
        endif()
        # build/man/PAGE.1 for `man -l` in the tree, PAGE.1.gz to install
        # (Debian ships man pages compressed; -n keeps the package
        # reproducible).
        add_custom_command(OUTPUT ${out} ${out}.gz
            COMMAND sh -c "\"$0\" < \"$1\" > \"$2\"" ${N1_SCDOC} ${src} ${out}
            COMMAND sh -c "\"$0\" -9nc \"$1\" > \"$1.gz\"" ${N1_GZIP} ${out}
            DEPENDS ${src}
            COMMENT "Building man page ${page}(1)"
            VERBATIM)
        list(APPEND pages ${out}.gz)
    endforeach()
    add_custom_target(n1_man ALL DEPENDS ${pages})
    install(FILES ${pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

install(TARGETS n1digest RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The rules are compiled in; this copy is the reference for each default
# and a start for a rule file of one's own.
install(FILES ${CMAKE_SOURCE_DIR}/rules/default.rules
    DESTINATION ${CMAKE_INSTALL_DATADIR}/n1digest)

install(FILES ${CMAKE_SOURCE_DIR}/contrib/bash-completion/n1digest
    DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

install(FILES ${CMAKE_SOURCE_DIR}/README.md
    DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/
    DESTINATION ${CMAKE_INSTALL_DOCDIR}
    FILES_MATCHING PATTERN "*.md" PATTERN "*.json" PATTERN "*.png"
    PATTERN "man" EXCLUDE)

# The systemd unit goes where packages put units (systemd reads
# /lib/systemd/system, /usr/lib/systemd/system and
# /usr/local/lib/systemd/system); installing it enables nothing. Its
# ExecStart names /usr/bin/n1digest: the installed copy names the binary
# of the prefix being installed to, known only at install time, so it is
# written then.
set(N1_UNIT ${CMAKE_BINARY_DIR}/n1digest-tail.service)
install(CODE "
    file(READ \"${CMAKE_SOURCE_DIR}/docs/n1digest-tail.service\" unit)
    string(REPLACE \"/usr/bin/n1digest \"
        \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/n1digest \"
        unit \"\${unit}\")
    file(WRITE \"${N1_UNIT}\" \"\${unit}\")
")
install(FILES ${N1_UNIT} DESTINATION lib/systemd/system)

# The Debian package: `cpack -G DEB` from the build directory, after the
# build. dpkg-shlibdeps (dpkg-dev) computes the library dependencies from
# the binary itself, so they follow what the readers link.
set(N1_PACKAGE_CONTACT "n1digest maintainers <maintainers@n1digest.invalid>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME n1digest)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${N1_PACKAGE_CONTACT})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "find N+1 loops and costly statements in MySQL/MariaDB query logs")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "n1digest reads the general and slow query logs of MySQL, MariaDB and
Percona Server and tells which statements to fix and how. It finds
per-key loops (N+1), repeated identical statements and fan-outs of one
connection per item, and prints a batched rewrite built from the key
values it saw. It also reports what each class of statements costs, as
pt-query-digest does, gates CI jobs on new findings (SARIF, JUnit) and
follows a live server's log.")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
