"""The Ceph side of a stack: pools, cephx clients, ceph.conf and keyrings on the client hosts."""
