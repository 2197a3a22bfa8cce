# Installation (included from the top CMakeLists.txt): see docs/API.md.
#   include/nstack/*.h (and the generated version.h)
#   lib/libnstack.{a,so.X.Y.Z}, lib/libnstack_app.{a,so.X.Y.Z}
#   lib/pkgconfig/nstack.pc, nstack-app.pc
#   lib/cmake/nstack/ (find_package(nstack COMPONENTS app))
#   bin/nstack (the command-line program)
include(CMakePackageConfigHelpers)

file(GLOB NST_PUBLIC_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/nstack/*.h)
install(FILES ${NST_PUBLIC_HEADERS} ${CMAKE_BINARY_DIR}/include/nstack/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nstack)

# Two export sets: the app libraries' need OpenSSL's imported target, which
# nstackConfig.cmake creates only when the app component is asked for.
install(TARGETS nstack nstack_shared EXPORT nstackTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS nstack_app nstack_app_shared EXPORT nstackAppTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS nstack_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(NST_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nstack)
install(EXPORT nstackTargets NAMESPACE nstack:: DESTINATION ${NST_CMAKE_DIR})
install(EXPORT nstackAppTargets NAMESPACE nstack:: DESTINATION ${NST_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/nstackConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/nstackConfig.cmake INSTALL_DESTINATION ${NST_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/nstackConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/nstackConfig.cmake ${CMAKE_BINARY_DIR}/cmake/nstackConfigVersion.cmake
  DESTINATION ${NST_CMAKE_DIR})

# pkg-config: nstack.pc (TCP/IP) and nstack-app.pc (adds OpenSSL). The
# prefix is found from the .pc file's own place (${pcfiledir}), so the
# files stay right under `cmake --install --prefix` anywhere.
file(RELATIVE_PATH NST_PC_UP /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" NST_PC_UP "${NST_PC_UP}")
set(NST_PC_PREFIX "\${pcfiledir}/${NST_PC_UP}")
foreach(pc nstack nstack-app)
  configure_file(${CMAKE_SOURCE_DIR}/cmake/${pc}.pc.in ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
