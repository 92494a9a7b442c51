/*
 * weaken_verneed.c - mark one required symbol version of an ELF shared library as weak.
 *
 *   usage: weaken_verneed FILE VERSION        (e.g. weaken_verneed libLibTorchSharp.so GLIBCXX_3.4.32)
 *
 * A shared library lists the symbol versions it needs from each dependency in its version-needs
 * table (section type SHT_GNU_verneed, named .gnu.version_r): one Elf64_Verneed record per
 * dependency, each followed by Elf64_Vernaux records, one per version, whose names live in the
 * string table the section links to. glibc's loader refuses to load the library when a needed
 * version is missing from the dependency, unless that record carries VER_FLG_WEAK (0x2): then it
 * loads the library and resolves the versioned symbols from whichever loaded library defines them
 * unversioned (see build/torchsharp/ios_base_library_init.c).
 *
 * This program sets VER_FLG_WEAK on every Vernaux record named VERSION. It rewrites only those
 * 2-byte flag fields, in place: run it on a private copy of the library, never on a shared one.
 * Only 64-bit little-endian ELF files (what linux-x64 uses) are accepted.
 *
 * Exit status: 0 = the flag is now set (also when it already was), 2 = FILE does not need VERSION,
 *              1 = error (message on stderr).
 */
#include <elf.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *path;

static int fail(const char *what)
{
    fprintf(stderr, "weaken_verneed: %s: %s\n", path, what);
    return 1;
}

/* True when [offset, offset + length) lies inside a file of `size` bytes. */
static int inside(size_t size, size_t offset, size_t length)
{
    return offset <= size && length <= size - offset;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: weaken_verneed FILE VERSION\n");
        return 1;
    }
    path = argv[1];
    const char *version = argv[2];

    int fd = open(path, O_RDWR);
    if (fd < 0) return fail("cannot open for writing");
    struct stat st;
    if (fstat(fd, &st) != 0) return fail("cannot stat");
    size_t size = (size_t)st.st_size;
    unsigned char *elf = malloc(size ? size : 1);
    if (!elf) return fail("out of memory");
    if (pread(fd, elf, size, 0) != (ssize_t)size) return fail("cannot read");

    if (size < sizeof(Elf64_Ehdr) || memcmp(elf, ELFMAG, SELFMAG) != 0) return fail("not an ELF file");
    if (elf[EI_CLASS] != ELFCLASS64 || elf[EI_DATA] != ELFDATA2LSB) return fail("not a 64-bit little-endian ELF file");
    const Elf64_Ehdr *header = (const Elf64_Ehdr *)elf;
    if (header->e_shentsize != sizeof(Elf64_Shdr) ||
        !inside(size, header->e_shoff, (size_t)header->e_shnum * sizeof(Elf64_Shdr)))
        return fail("bad section header table");
    const Elf64_Shdr *sections = (const Elf64_Shdr *)(elf + header->e_shoff);

    int found = 0;
    for (int s = 0; s < header->e_shnum; s++) {
        const Elf64_Shdr *needs = &sections[s];
        if (needs->sh_type != SHT_GNU_verneed) continue;
        if (needs->sh_link >= header->e_shnum) return fail("version-needs table links to no string table");
        const Elf64_Shdr *strings = &sections[needs->sh_link];
        if (!inside(size, needs->sh_offset, needs->sh_size) || !inside(size, strings->sh_offset, strings->sh_size))
            return fail("version-needs table or its string table lies outside the file");

        /* sh_info = number of Verneed records; each chains to the next by vn_next (a relative offset). */
        size_t need_at = needs->sh_offset;
        for (Elf64_Word n = 0; n < needs->sh_info; n++) {
            if (!inside(size, need_at, sizeof(Elf64_Verneed))) return fail("truncated version-needs record");
            const Elf64_Verneed *need = (const Elf64_Verneed *)(elf + need_at);

            size_t aux_at = need_at + need->vn_aux;
            for (Elf64_Half a = 0; a < need->vn_cnt; a++) {
                if (!inside(size, aux_at, sizeof(Elf64_Vernaux))) return fail("truncated version record");
                Elf64_Vernaux *aux = (Elf64_Vernaux *)(elf + aux_at);
                if (aux->vna_name >= strings->sh_size) return fail("version name outside the string table");
                const char *name = (const char *)elf + strings->sh_offset + aux->vna_name;
                size_t room = strings->sh_size - aux->vna_name;
                if (strnlen(name, room) < room && strcmp(name, version) == 0) {
                    aux->vna_flags |= VER_FLG_WEAK;
                    off_t flags_at = (off_t)(aux_at + offsetof(Elf64_Vernaux, vna_flags));
                    if (pwrite(fd, &aux->vna_flags, sizeof aux->vna_flags, flags_at) != sizeof aux->vna_flags)
                        return fail("cannot write");
                    found++;
                }
                if (aux->vna_next == 0) break;
                aux_at += aux->vna_next;
            }
            if (need->vn_next == 0) break;
            need_at += need->vn_next;
        }
    }

    if (close(fd) != 0) return fail("cannot close");
    free(elf);
    if (!found) {
        fprintf(stderr, "weaken_verneed: %s does not need version %s\n", path, version);
        return 2;
    }
    printf("weaken_verneed: %s: %s is now weak (%d record%s)\n", path, version, found, found == 1 ? "" : "s");
    return 0;
}
