/* Lab only (lab/nfs/README.md): libvirtd, preloaded with this, sees a fuse-nfs mount as the NFS mount it stands in
 * for. libvirt allows a live migration without block copy only for disks on a file system it knows is shared, and
 * it learns that from statfs()'s f_type: the kernel client gives NFS_SUPER_MAGIC; fuse-nfs gives FUSE_SUPER_MAGIC,
 * which libvirt counts as shared only for the subtypes glusterfs and quobyte. This changes f_type, and nothing else,
 * for paths whose mount in /proc/self/mounts has type fuse.fuse-nfs. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#define FUSE_SUPER_MAGIC 0x65735546
#define NFS_SUPER_MAGIC 0x6969

/* Whether the longest mount point that is a prefix of `path` (made absolute) is a fuse-nfs mount. */
static int on_fuse_nfs(const char *path)
{
    char real[PATH_MAX];
    const char *p = realpath(path, real) ? real : path;
    FILE *f = setmntent("/proc/self/mounts", "r");
    struct mntent *m;
    size_t best = 0;
    int found = 0;
    if (!f)
        return 0;
    while ((m = getmntent(f))) {
        size_t n = strlen(m->mnt_dir);
        int prefix = strncmp(p, m->mnt_dir, n) == 0 && (p[n] == '/' || p[n] == '\0' || n == 1);
        if (prefix && n >= best) {
            best = n;
            found = strcmp(m->mnt_type, "fuse.fuse-nfs") == 0;
        }
    }
    endmntent(f);
    return found;
}

int statfs64(const char *path, struct statfs64 *buf)
{
    static int (*real_statfs64)(const char *, struct statfs64 *);
    if (!real_statfs64)
        real_statfs64 = dlsym(RTLD_NEXT, "statfs64");
    int rc = real_statfs64(path, buf);
    if (rc == 0 && buf->f_type == FUSE_SUPER_MAGIC && on_fuse_nfs(path))
        buf->f_type = NFS_SUPER_MAGIC;
    return rc;
}

int statfs(const char *path, struct statfs *buf)
{
    return statfs64(path, (struct statfs64 *)buf);
}
