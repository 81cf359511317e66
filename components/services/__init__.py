"""The OpenStack services' config files on their hosts, each written before its service restarts, and the one
component that orders the two (service_config.py)."""
