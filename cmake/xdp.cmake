# The AF_XDP link driver's build (included from the top CMakeLists.txt).
# Sets NST_XDP_SOURCES (the driver and its embedded XDP program, or the
# stand-in that reports it missing), NST_XDP_LIBS (what libnstack then links)
# and NST_HAVE_XDP.
option(NST_XDP "Build the AF_XDP link driver when libxdp, libbpf and clang are found" ON)
set(NST_HAVE_XDP OFF)
set(NST_XDP_LIBS "")
if(NST_XDP)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(NST_LIBXDP QUIET libxdp)
  pkg_check_modules(NST_LIBBPF QUIET libbpf)
  find_program(NST_BPF_CLANG NAMES clang clang-14)
  if(NST_LIBXDP_FOUND AND NST_LIBBPF_FOUND AND NST_BPF_CLANG)
    set(NST_HAVE_XDP ON)
  endif()
endif()

if(NST_HAVE_XDP)
  # The XDP program: compiled for the BPF target with its BTF (-g: libxdp's
  # dispatcher needs it), then embedded as a byte array.
  set(bpf_src ${CMAKE_SOURCE_DIR}/src/link/xdp_redirect.bpf.c)
  set(bpf_obj ${CMAKE_BINARY_DIR}/xdp_redirect.bpf.o)
  set(bpf_c ${CMAKE_BINARY_DIR}/xdp_redirect_obj.c)
  set(arch_inc /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
  add_custom_command(OUTPUT ${bpf_obj}
    COMMAND ${NST_BPF_CLANG} -O2 -g -Wall -Werror -target bpf -I${arch_inc} -c ${bpf_src} -o ${bpf_obj}
    DEPENDS ${bpf_src} COMMENT "Compiling the XDP program (clang -target bpf)")
  add_custom_command(OUTPUT ${bpf_c}
    COMMAND ${CMAKE_COMMAND} -DIN=${bpf_obj} -DOUT=${bpf_c} -DNAME=nst_xdp_redirect_obj
      -P ${CMAKE_SOURCE_DIR}/cmake/nst_embed.cmake
    DEPENDS ${bpf_obj} ${CMAKE_SOURCE_DIR}/cmake/nst_embed.cmake)
  set(NST_XDP_SOURCES ${CMAKE_SOURCE_DIR}/src/link/xdp.c ${bpf_c})
  set(NST_XDP_LIBS xdp bpf)
  message(STATUS "nstack: AF_XDP link driver on (libxdp ${NST_LIBXDP_VERSION}, libbpf ${NST_LIBBPF_VERSION})")
else()
  set(NST_XDP_SOURCES ${CMAKE_SOURCE_DIR}/src/link/xdp_none.c)
  message(STATUS "nstack: AF_XDP link driver off (needs libxdp-dev, libbpf-dev and clang)")
endif()
# For nstack.pc's Libs.private.
set(NST_PC_XDP_LIBS "")
foreach(l ${NST_XDP_LIBS})
  string(APPEND NST_PC_XDP_LIBS " -l${l}")
endforeach()
