# Optional parts of skelact_lib, each added only where its library is found
# (the SK_HAVE_* defines are PUBLIC: tests see which backends exist),
# so the core builds without them (included by CMakeLists.txt).
#
# Key backends (src/sinks/xtest.c, src/sinks/uinput.c compile to stubs
# without their define):
#   SK_HAVE_XTEST   X11 + XTest   (Debian: libx11-dev libxtst-dev)
#   SK_HAVE_UINPUT  libevdev      (Debian: libevdev-dev)
find_package(PkgConfig QUIET)
set(SK_KEY_BACKENDS "dry-run")
if(PKG_CONFIG_FOUND)
  pkg_check_modules(SK_XTEST QUIET IMPORTED_TARGET x11 xtst)
  if(SK_XTEST_FOUND)
    target_compile_definitions(skelact_lib PUBLIC SK_HAVE_XTEST=1)
    target_link_libraries(skelact_lib PUBLIC PkgConfig::SK_XTEST)
    list(APPEND SK_KEY_BACKENDS "xtest")
  endif()
  pkg_check_modules(SK_EVDEV QUIET IMPORTED_TARGET libevdev)
  if(SK_EVDEV_FOUND)
    target_compile_definitions(skelact_lib PUBLIC SK_HAVE_UINPUT=1)
    target_link_libraries(skelact_lib PUBLIC PkgConfig::SK_EVDEV)
    list(APPEND SK_KEY_BACKENDS "uinput")
  endif()
endif()
message(STATUS "skelact key backends: ${SK_KEY_BACKENDS}")
