"""libvirt on the computes: the secret holding the cephx key, the PKI of TLS migration, and live migration itself
(libvirtd's config, /etc/hosts, nova's SSH between computes)."""
