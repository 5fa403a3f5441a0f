// The C API of llama.cpp, as installed by scripts/llama-build.sh.
// The include path comes from the Makefile (-Xcc -I<prefix>/include).
#pragma once
#include <llama.h>
