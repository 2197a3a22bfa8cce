# Writes a C file defining a byte array with a file's contents:
#   cmake -DIN=file -DOUT=file.c -DNAME=symbol -P nst_embed.cmake
# (the AF_XDP driver's XDP program, carried inside libnstack).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT} "/* Generated from ${IN} by cmake/nst_embed.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const unsigned char ${NAME}[];\nextern const size_t ${NAME}_len;\n"
  "__attribute__((aligned(8))) const unsigned char ${NAME}[] = {\n${bytes}\n};\n"
  "const size_t ${NAME}_len = ${len};\n")
