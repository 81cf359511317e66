"""The OpenStack services' config files, each written before its service restarts, and live migration."""
