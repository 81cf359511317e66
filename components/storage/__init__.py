"""Shared file storage: GlusterFS, NFS exports, the computes' shared instances directory, LVM iSCSI."""
