# What `cmake --install` puts beside bin/vami (installed by cli/CMakeLists.txt), in the places
# Debian's tools look, and the CPack settings of the .deb.
#   cmake --build build && (cd build && cpack -G DEB)   ->   build/vami_<version>_<arch>.deb
include(GNUInstallDirs)

# The man page and the completions are generated from the command definitions and committed
# (scripts/completions.sh); tests fail when they are stale, so installing them as they are is
# installing what the binary would print.
set(VAMI_MAN_PAGE ${PROJECT_SOURCE_DIR}/docs/man/vami.1)
find_program(VAMI_GZIP gzip)
if(VAMI_GZIP)
  # Debian policy: man pages compressed with gzip -9n (no name or time stamp: reproducible).
  set(VAMI_MAN_PAGE_GZ ${PROJECT_BINARY_DIR}/man/vami.1.gz)
  add_custom_command(OUTPUT ${VAMI_MAN_PAGE_GZ}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${VAMI_GZIP} -9n -c ${VAMI_MAN_PAGE} > ${VAMI_MAN_PAGE_GZ}
    DEPENDS ${VAMI_MAN_PAGE}
    COMMENT "Compressing the man page vami(1)"
    VERBATIM)
  add_custom_target(vami_man_page ALL DEPENDS ${VAMI_MAN_PAGE_GZ})
  install(FILES ${VAMI_MAN_PAGE_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  install(FILES ${VAMI_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

install(FILES ${PROJECT_SOURCE_DIR}/completions/vami.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME vami)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_vami
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/completions/vami.fish
  DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

# The guides and references as the repository lays them out, so that README.md's links to
# docs/... work: share/doc/vami/README.md and share/doc/vami/docs/**/*.md.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
  FILES_MATCHING PATTERN "*.md" PATTERN "man" EXCLUDE)

# --- the Debian package --------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vami)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "vami")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "admin and provisioning toolkit for a multi-tenant AI phone-agent platform")
set(CPACK_PACKAGE_CONTACT "vami maintainers <vami-maintainers@example.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_NAME vami)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The control file's Description: the summary, then this text (CPack indents it).
set(CPACK_PACKAGE_DESCRIPTION
  "vami buys phone numbers in bulk into a pool (Twilio), onboards tenants, creates their
voice agents and knowledge bases (ElevenLabs Agents), routes numbers to agents, and keeps
a local state database of which number belongs to whom and what it costs. It includes a
sandbox that emulates both providers for tries and tests, a man page, and shell
completions for bash, zsh and fish.")
# dpkg-shlibdeps (dpkg-dev) reads the binary's libraries and declares them in Depends.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libcurl is loaded with dlopen (providers/http/libcurl_api.cpp), which dpkg-shlibdeps cannot see:
# declared here, and CPack appends what dpkg-shlibdeps finds. 7.85: CURLOPT_PROTOCOLS_STR.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.85.0)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
# DEB-DEFAULT: vami_<version>_<arch>.deb (with -<release> only when a release is set).
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
