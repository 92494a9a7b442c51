/*
 * Defines std::ios_base_library_init() (mangled _ZSt21ios_base_library_initv), the one symbol that
 * libLibTorchSharp.so (TorchSharp 0.107, built with GCC 13) needs at version GLIBCXX_3.4.32, which
 * Debian 12's libstdc++ (GCC 12, versions up to GLIBCXX_3.4.30) does not have.
 *
 * GCC 13 moved the construction of the standard streams (std::cout, ...) into libstdc++ itself and
 * makes every file that includes <iostream> reference this symbol (a `.globl` directive, never a
 * call: libLibTorchSharp.so has no relocation against it), so that such code is only ever loaded
 * with a libstdc++ that constructs the streams. With an older libstdc++ the streams are built by the
 * static std::ios_base::Init objects of code compiled by older GCCs: libc10.so and libtorch_cpu.so
 * have them, and they are initialised before libLibTorchSharp.so, which depends on them. So the
 * definition has nothing to do: a no-op is correct.
 *
 * Built without symbol versions, so glibc's loader accepts it for the versioned reference once that
 * reference is weak (weaken_verneed.c). It is only built and linked in where the system libstdc++
 * lacks GLIBCXX_3.4.32; elsewhere the real definition is used (see docs/build.md).
 */
void _ZSt21ios_base_library_initv(void)
{
}
