//===- ReleaseCompilerMemory.cpp - Give back what compiling touched -------===//

#include "runtime/driver/ReleaseCompilerMemory.h"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace rnnc::driver {
namespace {

/// Drops the resident pages of the main executable's code segments.
/// MADV_DONTNEED on a private file mapping that was never written leaves
/// its contents as they are: the next access maps the file page again.
int dropExecutableCode(struct dl_phdr_info *info, size_t, void *released) {
  // The first object reported is the main program; shared libraries are
  // left alone (their pages are shared with other processes anyway).
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X) ||
        (segment.p_flags & PF_W))
      continue;
    uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
    uintptr_t end = begin + segment.p_memsz;
    begin = (begin + page - 1) & ~(page - 1); // whole pages of this segment only
    end &= ~(page - 1);
    if (end > begin &&
        madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED) == 0)
      *static_cast<size_t *>(released) += end - begin;
  }
  return 1; // stop after the main program
}

} // namespace

size_t releaseCompilerMemory() {
  size_t released = 0;
  dl_iterate_phdr(dropExecutableCode, &released);
  malloc_trim(0);
  return released;
}

} // namespace rnnc::driver
