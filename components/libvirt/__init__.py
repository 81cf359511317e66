"""libvirt on the computes: the secret holding the cephx key, and the PKI of TLS migration."""
